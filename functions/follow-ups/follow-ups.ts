import { ConfigurationError } from '../../shared/domain/errors.js';
import type { JobRecord } from '../../shared/domain/job.js';
import { isTerminal } from '../../shared/domain/status.js';
import type { FinalStatus } from '../../shared/jobs/retention.js';
import type { JobStore, RemovableField, Transition } from '../../shared/ports/job-store.js';
import type { Logger } from '../../shared/ports/logger.js';
import type { SendOnceOutcome } from '../recovery/send-once.js';
import { webhookBody, type WebhookOutbox } from '../webhooks/outbox.js';

/*
 * A terminal transition's follow-ups, in two explicit steps every writer of a terminal state takes
 * (the worker, API cancellation, operators' routes):
 * 1. `terminalFollowUps` — recorded in the same conditional write as the status, so a writer that dies
 *    right after its write loses nothing: the record itself says what is owed;
 * 2. `FollowUpFlusher.flush` — carried out, then the marker cleared by a conditional write, before the
 *    worker acknowledges its message. A redelivery of that message, or the recovery sweep, flushes what
 *    a crash left; once cleared, a flush is never repeated.
 *
 * Follow-ups: the completion webhook of a job with a callbackUrl; a flow child's end, counted on its
 * parent (which the last child's flush releases); and for DEAD the job's place in its type's
 * dead-letter listing (attributes on the job item, listed through a sparse index: nothing to flush).
 */

export interface FollowUpSettings {
  /** How long a DLQ keeps a message: a dead job is listed until its message has surely expired (DEAD only). */
  readonly dlqRetentionSeconds?: number;
  /** The sweep flushes a webhook its writer did not queue this long after the terminal write. */
  readonly flushGraceMs: number;
}

/** A minute: the writer flushes within milliseconds, so the sweep rarely finds anything to repeat. */
export const DEFAULT_FLUSH_GRACE_MS = 60_000;

/** What a write into `to` records besides the status (`set`/`remove` of the same conditional write). */
export interface TerminalFollowUps {
  readonly set: NonNullable<Transition['set']>;
  readonly remove: RemovableField[];
}

/**
 * The follow-ups of `job` (the record as read before the write) ending in `to` at `finishedAt`:
 * - with a callbackUrl: `webhookPending` (this terminal state's finishedAt) and a sweep entry due after
 *   the grace, in case its writer never flushes;
 * - a flow's child: `flowPending` (this terminal state's finishedAt), its end for the parent to count,
 *   with the same sweep entry;
 * - DEAD: `deadLetterType` and `deadLetterUntil`, its place in the dead-letter listing;
 * - always: `sendPending` goes — a finished job needs no message.
 */
export function terminalFollowUps(job: JobRecord, to: FinalStatus, finishedAt: Date, settings: FollowUpSettings): TerminalFollowUps {
  const set: Record<string, unknown> = {};
  const remove: RemovableField[] = ['sendPending'];
  if (job.callbackUrl !== undefined) set.webhookPending = finishedAt.toISOString();
  if (job.parentId !== undefined) set.flowPending = finishedAt.toISOString();
  if (job.callbackUrl !== undefined || job.parentId !== undefined) {
    set.sweepAt = new Date(finishedAt.getTime() + settings.flushGraceMs).toISOString();
  } else {
    remove.push('sweepAt');
  }
  if (to === 'DEAD') {
    if (settings.dlqRetentionSeconds === undefined) throw new ConfigurationError('terminalFollowUps: a DEAD write needs the DLQ retention');
    set.deadLetterType = job.type;
    set.deadLetterUntil = deadLetterUntil(job, settings.dlqRetentionSeconds);
  }
  return { set: set as TerminalFollowUps['set'], remove };
}

/**
 * Epoch seconds after which the job's DLQ message has surely expired: SQS counts retention from the
 * message's last send — the enqueue, the last redrive (a move sends anew) or the last retry by id.
 */
export function deadLetterUntil(job: JobRecord, dlqRetentionSeconds: number): number {
  const lastSent = [job.createdAt, job.redrivenAt, job.retriedAt].filter((t): t is string => t !== undefined).sort().at(-1)!;
  return Math.floor(Date.parse(lastSent) / 1000) + dlqRetentionSeconds;
}

export type FlushOutcome = 'nothing-owed' | 'flushed' | 'already-flushed' | 'no-outbox' | 'failed';

export interface FollowUpFlusherDeps {
  readonly store: JobStore;
  /** The webhook queue; absent where webhooks are off (the sweep, which has it, then flushes). */
  readonly outbox?: WebhookOutbox | undefined;
  /**
   * Sends a flow's parent once its last child was counted (`sendOnce` over the job queues: see
   * functions/flows/send-parent.ts). Absent: the recovery sweep sends it. Injected, so a function that
   * never ends a flow's child (the redrive consumer) does not bundle the routing of every job type.
   */
  readonly sendParent?: ((parent: JobRecord) => Promise<SendOnceOutcome>) | undefined;
  readonly logger: Logger;
}

/** Carries out what a terminal write recorded, then clears the marker (step 2 above). */
export class FollowUpFlusher {
  readonly #deps: FollowUpFlusherDeps;

  constructor(deps: FollowUpFlusherDeps) {
    this.#deps = deps;
  }

  /**
   * Carries out what `record`'s terminal write recorded (it must be the record as written or read after
   * it): first a flow child's end, counted on its parent (`#flushFlow`), then the completion webhook.
   * Never throws: a failure is logged and answered `failed` (or `no-outbox`) — the status stands, the
   * markers stay, and a redelivery or the sweep tries again.
   */
  async flush(record: JobRecord): Promise<FlushOutcome> {
    if (!isTerminal(record.status)) return 'nothing-owed';
    let flow: FlushOutcome = 'nothing-owed';
    if (record.flowPending !== undefined && record.parentId !== undefined) {
      flow = await this.#flushFlow(record, record.parentId, record.flowPending);
      // The webhook waits: its clear would take the sweep entry the parent's count still needs.
      if (flow === 'failed' || flow === 'no-outbox') return flow;
    }
    const webhook = await this.#flushWebhook(record);
    return webhook === 'nothing-owed' ? flow : webhook;
  }

  /**
   * A flow child's end: counted on the parent once (a conditional write keyed by the child's id, so a
   * repeated flush counts nothing); when no child is left, the parent is sent through the one
   * conditional claim every sender shares (`sendOnce`): exactly one message, whoever gets there first.
   * Only then is `flowPending` cleared, so a flush that dies on the way is finished by the next one.
   */
  async #flushFlow(record: JobRecord, parentId: string, finishedAt: string): Promise<FlushOutcome> {
    const { store, sendParent, logger } = this.#deps;
    try {
      const counted = await store.countChild(parentId, record.jobId, record.status);
      const parent = counted?.parent;
      if (parent && parent.status === 'QUEUED' && parent.childrenPending === 0 && parent.sendPending !== undefined) {
        if (!sendParent) {
          logger.warn('a flow parent is due but this function has no job queue; the recovery sweep will send it', { jobId: parentId });
          return 'no-outbox';
        }
        const sent = await sendParent(parent);
        // Another sender holds the claim: keep this child's marker until the parent is surely sent.
        if (sent === 'busy') return 'failed';
      }
      return (await store.clearFlowPending(record.jobId, finishedAt)) ? 'flushed' : 'already-flushed';
    } catch (error) {
      logger.warn('could not count a flow child on its parent; it stays owed and the recovery sweep will count it', { jobId: record.jobId, parentId, error });
      return 'failed';
    }
  }

  /** Queues the completion webhook, then removes `webhookPending` while it still names this terminal state. */
  async #flushWebhook(record: JobRecord): Promise<FlushOutcome> {
    const finishedAt = record.webhookPending;
    if (finishedAt === undefined || record.callbackUrl === undefined) return 'nothing-owed';
    const { outbox, store, logger } = this.#deps;
    if (!outbox) {
      logger.warn('a completion webhook is owed but this function has no webhook queue; the recovery sweep will queue it', { jobId: record.jobId });
      return 'no-outbox';
    }
    try {
      await outbox.enqueue({ jobId: record.jobId, tenant: record.tenant, callbackUrl: record.callbackUrl, body: webhookBody(record), finishedAt, ...(record.correlationId ? { correlationId: record.correlationId } : {}) });
      return (await store.clearWebhookPending(record.jobId, finishedAt)) ? 'flushed' : 'already-flushed';
    } catch (error) {
      logger.warn('could not flush the completion webhook; it stays owed and the recovery sweep will queue it', { jobId: record.jobId, error });
      return 'failed';
    }
  }
}
