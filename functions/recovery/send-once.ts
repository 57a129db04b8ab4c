import { DependencyUnavailableError } from '../../shared/domain/errors.js';
import type { JobRecord, SendPending } from '../../shared/domain/job.js';
import type { JobQueue } from '../../shared/ports/job-queue.js';
import type { JobStore } from '../../shared/ports/job-store.js';
import type { Logger } from '../../shared/ports/logger.js';
import { messageOf } from '../api/job-message.js';

/** A claim on a send lapses after this long: its claimer is presumed dead (a send takes milliseconds). */
export const DEFAULT_CLAIM_LEASE_MS = 2 * 60_000;

export interface SendOnceDeps {
  readonly store: JobStore;
  readonly queue: JobQueue;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly claimLeaseMs?: number;
}

/**
 * - `sent`: this caller sent the message (and confirmed it, unless the confirmation failed: then the
 *   claim lapses and a later caller may send a duplicate message, which the consumer absorbs);
 * - `not-needed`: the job is not QUEUED, or its message is known to exist (no marker);
 * - `busy`: someone else holds a live claim, or changed the marker since it was read: try later.
 */
export type SendOnceOutcome = 'sent' | 'not-needed' | 'busy';

/** When a `claimed:<ISO>` marker was claimed; undefined for any other marker. */
export function claimedAt(pending: SendPending | undefined): number | undefined {
  return pending?.startsWith('claimed:') ? Date.parse(pending.slice('claimed:'.length)) : undefined;
}

/**
 * Sends a QUEUED job's message on behalf of whoever found it unsent — a scheduled release, the
 * recovery sweep — exactly once among them:
 * 1. claim: one conditional write moves `sendPending` from what was read to `claimed:<now>`; of two
 *    callers that read the same marker, one wins and the other stands back;
 * 2. send (with `delaySeconds` when the job is due later);
 * 3. confirm: remove the marker (and the job's sweep entry), conditional on the claim.
 * A failed send gives the marker back (so the caller's own retry, or the sweep, tries again); a
 * claimer that dies leaves a claim that lapses after the lease.
 */
export async function sendOnce(deps: SendOnceDeps, job: JobRecord, options: { delaySeconds?: number } = {}): Promise<SendOnceOutcome> {
  const seen = job.sendPending;
  if (job.status !== 'QUEUED' || seen === undefined) return 'not-needed';
  const now = deps.now();
  const claimed = claimedAt(seen);
  if (claimed !== undefined && claimed + (deps.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS) > now.getTime()) return 'busy';
  const claim: SendPending = `claimed:${now.toISOString()}`;
  // On the generation read too: an edit since then rewrote the marker for its own message.
  if (!(await deps.store.updateSendPending(job.jobId, seen, claim, job.generation ?? 0))) return 'busy';
  try {
    if (options.delaySeconds) await deps.queue.send(messageOf(job), { delaySeconds: options.delaySeconds });
    else await deps.queue.send(messageOf(job));
  } catch (error) {
    await deps.store.updateSendPending(job.jobId, claim, seen).catch((giveBackError: unknown) => {
      deps.logger.warn('send failed and the claim could not be given back; it lapses after the lease', { jobId: job.jobId, error: giveBackError });
    });
    throw error instanceof DependencyUnavailableError ? error : new DependencyUnavailableError('sqs', `send failed — ${String(error)}`, { cause: error });
  }
  await deps.store.updateSendPending(job.jobId, claim, undefined).catch((error: unknown) => {
    deps.logger.warn('sent, but the send could not be confirmed; the claim lapses after the lease and the message may be sent twice', { jobId: job.jobId, error });
  });
  return 'sent';
}
