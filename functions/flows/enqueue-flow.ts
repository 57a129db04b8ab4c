import { DependencyUnavailableError } from '../../shared/domain/errors.js';
import type { JobRecord } from '../../shared/domain/job.js';
import type { JobQueue } from '../../shared/ports/job-queue.js';
import type { JobStore } from '../../shared/ports/job-store.js';
import type { Logger } from '../../shared/ports/logger.js';
import type { TenantActivity } from '../../shared/ports/recovery.js';
import { messageOf } from '../api/job-message.js';
import type { FlowNode } from './plan.js';

export interface FlowEnqueueDeps {
  readonly store: JobStore;
  readonly queue: JobQueue;
  readonly logger: Logger;
  readonly activity?: TenantActivity | undefined;
  readonly now: () => Date;
  readonly newJobId: (tenant: string, now: Date) => string;
  /** The QUEUED record of one job of the flow (JobService's newJobRecord). */
  readonly newRecord: (tenant: string, node: FlowNode, jobId: string, now: Date) => JobRecord;
  /** The record as stored: a payload over the inline limit goes to S3 first (functions/job-data/), the record keeps its reference. */
  readonly stored?: (job: JobRecord) => Promise<JobRecord>;
  /** Whether a job type runs its groups in enqueue order (FIFO): its jobs of the flow are sent one after another. */
  readonly ordered?: (type: string) => boolean;
}

/** A flow as enqueued: each job's record, with its children in the order given. */
export interface EnqueuedFlow {
  readonly job: JobRecord;
  readonly children: readonly EnqueuedFlow[];
}

/**
 * Enqueues a checked flow (plan.ts). Nothing is half-written:
 * 1. every record is written before any message, level by level, a parent before its children — so a
 *    child never exists without its parent. A parent is held (`sendPending: 'children'`, no message)
 *    with `childrenPending` = its children and an empty `childOutcomes`;
 * 2. then the jobs without children are sent, in the order the flow lists them (one after another for a
 *    FIFO type, so that order is their order in their group). Each child's end is counted on its parent by the child's
 *    terminal write and flush (functions/follow-ups/), and the last one sends the parent.
 * If a write fails, the records written are deleted deepest level first (a child before its parent;
 * a level that cannot be deleted keeps the levels above it) and the API answers 503. If every send
 * fails the same happens; if only some do, the flow stands: the unsent records still say
 * `sendPending` and the recovery sweep sends them (the tenant was noted as active first).
 */
export async function enqueueFlow(deps: FlowEnqueueDeps, tenant: string, root: FlowNode): Promise<EnqueuedFlow> {
  const now = deps.now();
  const build = (node: FlowNode, parentId?: string): EnqueuedFlow => {
    const jobId = deps.newJobId(tenant, now);
    const children = node.children.map((child) => build(child, jobId));
    const base = deps.newRecord(tenant, node, jobId, now);
    const job: JobRecord = {
      ...base,
      ...(parentId !== undefined ? { parentId } : {}),
      ...(children.length > 0
        ? {
            sendPending: 'children' as const,
            childIds: children.map((child) => child.job.jobId),
            childrenPending: children.length,
            childOutcomes: {},
            ...(node.onChildFailure ? { onChildFailure: node.onChildFailure } : {}),
          }
        : {}),
    };
    return { job, children };
  };
  const flow = build(root);
  const byLevel: JobRecord[][] = [];
  for (let level = [flow]; level.length > 0; level = level.flatMap((node) => [...node.children])) byLevel.push(level.map((node) => node.job));

  await deps.activity?.note(tenant, now);
  const written: JobRecord[][] = [];
  for (const level of byLevel) {
    const results = await Promise.allSettled(level.map(async (job) => deps.store.create(deps.stored ? await deps.stored(job) : job)));
    written.push(level.filter((_, index) => results[index]!.status === 'fulfilled'));
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) {
      await discardFlow(deps, written);
      throw unavailable('dynamodb', 'flow records could not be written', failed.reason);
    }
  }

  const leaves = inFlowOrder(flow).filter((job) => job.childIds === undefined);
  const sends = await sendLeaves(deps, leaves);
  const unsent = leaves.filter((_, index) => sends[index]!.status === 'rejected');
  if (unsent.length === leaves.length) {
    await discardFlow(deps, written);
    const reason = (sends[0] as PromiseRejectedResult).reason;
    throw unavailable('sqs', 'the flow\'s children could not be sent', reason);
  }
  if (unsent.length > 0) {
    deps.logger.warn('flow enqueued, but some children could not be sent; the recovery sweep will send them', { jobId: flow.job.jobId, unsent: unsent.map((job) => job.jobId) });
  }
  return flow;
}

/** Every job of the flow as the request lists it: a parent, then its children's subtrees in order. */
function inFlowOrder(node: EnqueuedFlow): JobRecord[] {
  return [node.job, ...node.children.flatMap(inFlowOrder)];
}

/** Sends the leaves at once, except a FIFO type's, which go one after another (SQS keeps a group's send order). */
function sendLeaves(deps: FlowEnqueueDeps, leaves: readonly JobRecord[]): Promise<PromiseSettledResult<void>[]> {
  let ordered: Promise<unknown> = Promise.resolve();
  return Promise.allSettled(leaves.map((job) => {
    if (!deps.ordered?.(job.type)) return deps.queue.send(messageOf(job));
    const sent = ordered.then(() => deps.queue.send(messageOf(job)));
    // A failed send does not hold the rest: the sweep sends that job later, as for a lone enqueue.
    ordered = sent.catch(() => undefined);
    return sent;
  }));
}

/** Deletes a flow's records deepest level first; a level that cannot be fully deleted keeps its parents. */
async function discardFlow(deps: FlowEnqueueDeps, written: readonly JobRecord[][]): Promise<void> {
  for (const level of [...written].reverse()) {
    const results = await Promise.allSettled(level.map((job) => deps.store.discard(job.jobId)));
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) {
      deps.logger.error('flow: could not delete the records written; the recovery sweep will send what is left', { jobIds: level.map((job) => job.jobId), error: failed.reason });
      return;
    }
  }
}

function unavailable(dependency: string, message: string, cause: unknown): DependencyUnavailableError {
  return cause instanceof DependencyUnavailableError ? cause : new DependencyUnavailableError(dependency, `${message} — ${String(cause)}`, { cause });
}
