import * as z from 'zod';
import type { Logger } from '../../shared/ports/logger.js';
import type { RedriveNudge, RedriveNudges } from '../../shared/ports/redrive-tasks.js';
import type { BatchResponse, InvocationContext, SqsEventLike } from '../worker/context.js';
import type { RedriveRunner } from './redrive-runner.js';

const nudgeSchema = z.object({ queue: z.string().min(1), taskId: z.string().min(1), nudge: z.string().min(1) });

/**
 * The redrive consumer: each record is a nudge of one task, worked on for the invocation's remaining
 * time (batch size 1). A nudge whose task another run holds is reported failed, to come back once
 * that run's lease has run out (by then that run has handed on, and this one is dropped, or has died,
 * and this one takes the task over). An unreadable message is dropped.
 */
export function redriveConsumer(runner: RedriveRunner, nudges: RedriveNudges, logger: Logger): (event: SqsEventLike, context: InvocationContext) => Promise<BatchResponse> {
  return async (event, context) => {
    const failures: { itemIdentifier: string }[] = [];
    for (const record of event.Records) {
      let nudge: RedriveNudge;
      try {
        nudge = nudgeSchema.parse(JSON.parse(record.body));
      } catch {
        logger.error('redrive: unreadable nudge dropped', { messageId: record.messageId });
        continue;
      }
      try {
        const outcome = await runner.handle(nudge, () => context.getRemainingTimeInMillis());
        if (outcome.kind === 'busy') {
          // Back once the holder's lease has run out, not after the whole visibility timeout.
          await nudges.retryAfter?.(record.receiptHandle, outcome.retryAfterSeconds).catch((error: unknown) => logger.warn('redrive: could not delay a busy nudge', { error }));
          failures.push({ itemIdentifier: record.messageId });
        }
        if (outcome.kind === 'dropped') logger.info('redrive: nudge dropped', { queue: nudge.queue, taskId: nudge.taskId, reason: outcome.reason });
      } catch (error) {
        // The task stays at its last checkpoint; this nudge, delivered again, resumes it.
        logger.error('redrive: run failed; the nudge is delivered again', { queue: nudge.queue, taskId: nudge.taskId, error });
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures };
  };
}
