import { DeliveryUncertainError } from '../../../shared/domain/errors.js';
import { emailJob, type EmailPayload } from '../../../shared/jobs/email.js';
import type { Mailer } from '../../../shared/ports/mailer.js';
import type { SideEffectLedger } from '../../../shared/ports/side-effects.js';
import type { JobContext, JobHandler } from '../../worker/context.js';
import { defineHandler } from '../define-handler.js';
import { renderEmail } from './render.js';

export interface EmailHandlerDeps {
  readonly mailer: Mailer;
  readonly ledger: SideEffectLedger;
  /** The From address, from configuration (`CONVEYOR_EMAIL_FROM`). */
  readonly sender: string;
  /** Pause between tries of the checkpoint write after a send (tests shorten it). */
  readonly checkpointRetryMs?: number;
}

export interface EmailResult {
  readonly messageId: string;
  readonly template: string;
  readonly recipients: number;
  /** True when this delivery found the e-mail already sent by an earlier one and did not send. */
  readonly alreadySent?: true;
}

/**
 * The e-mail job: render, send through the Mailer, and never send twice.
 *
 * At most once, through a two-step checkpoint on the job record (the SideEffectLedger):
 * 1. `begin` — a conditional write marks the send started by this attempt (the job must be RUNNING
 *    at this attempt with no mark: two deliveries can never both pass);
 * 2. send;
 * 3. `complete` — the SES message id is written on the job before the handler returns, i.e. before
 *    the worker acknowledges the message.
 * A redelivery reads the mark first: `done` → acknowledged without sending (the job SUCCEEDS with the
 * recorded message id); `started` → an earlier attempt died between send and record, or got no
 * answer from SES. It may have been delivered, so this job ends FAILED `DELIVERY_UNCERTAIN` instead
 * of risking a duplicate. That window is one SES round trip plus one DynamoDB write; we chose a rare
 * lost e-mail, visible as a FAILED job with its reason, over a silent duplicate. When SES clearly
 * refused or throttled the send, the mark is removed again, so the retry with backoff sends normally.
 */
export function createEmailHandler(deps: EmailHandlerDeps): JobHandler<EmailPayload, EmailResult> {
  const checkpointRetryMs = deps.checkpointRetryMs ?? 250;
  return async (payload, context) => {
    const recipients = payload.to.length + (payload.cc?.length ?? 0) + (payload.bcc?.length ?? 0);
    const summary = { template: payload.template, recipients };

    const mark = await deps.ledger.read(context.jobId);
    if (mark?.state === 'done') {
      context.logger.info('already sent by an earlier delivery; acknowledging without sending', { messageId: mark.reference, sentByAttempt: mark.attempt });
      return { messageId: mark.reference, ...summary, alreadySent: true };
    }
    if (mark?.state === 'started') {
      throw new DeliveryUncertainError(
        `attempt ${mark.attempt} began sending at ${mark.at} but its outcome was never recorded; the e-mail may have been delivered, ` +
          'so it is not sent again (check the SES sending events; enqueue a new job to send it deliberately)',
      );
    }

    const rendered = renderEmail(payload);
    context.signal.throwIfAborted();
    await deps.ledger.begin(context.jobId, context.attempt);
    let messageId: string;
    try {
      ({ messageId } = await deps.mailer.send(
        {
          from: deps.sender,
          to: payload.to,
          ...(payload.cc ? { cc: payload.cc } : {}),
          ...(payload.bcc ? { bcc: payload.bcc } : {}),
          ...(payload.replyTo ? { replyTo: [payload.replyTo] } : {}),
          ...rendered,
        },
        { signal: context.signal },
      ));
    } catch (error) {
      // SES surely did nothing: clear the mark so the retry (or nobody, if permanent) may send.
      if (!(error instanceof DeliveryUncertainError)) await abandonQuietly(deps.ledger, context);
      throw error;
    }
    await checkpoint(deps.ledger, context, messageId, checkpointRetryMs);
    return { messageId, ...summary };
  };
}

/** SES through the `email` capability; the send checkpoint on the job record (the core ledger). */
export default defineHandler(emailJob, (ports) => createEmailHandler({ mailer: ports.email.mailer, sender: ports.email.sender, ledger: ports.ledger }));

/** Records the message id, retrying a few times: losing this write turns a sent e-mail into DELIVERY_UNCERTAIN. */
async function checkpoint(ledger: SideEffectLedger, context: JobContext, messageId: string, retryMs: number): Promise<void> {
  for (let tries = 1; ; tries++) {
    try {
      await ledger.complete(context.jobId, context.attempt, messageId);
      return;
    } catch (error) {
      if (tries >= 3) {
        context.logger.error('e-mail sent but its message id could not be recorded', { messageId, error });
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, retryMs * tries));
    }
  }
}

async function abandonQuietly(ledger: SideEffectLedger, context: JobContext): Promise<void> {
  try {
    await ledger.abandon(context.jobId, context.attempt);
  } catch (error) {
    // The next attempt will then see a `started` mark and end DELIVERY_UNCERTAIN: safe, if pessimistic.
    context.logger.warn('could not clear the send mark after a refused send', { error });
  }
}
