import { ConflictException, CreateScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import { schedulerFailure } from './sdk-errors.js';
import type { ReleaseScheduler } from '../../../shared/ports/release-scheduler.js';

export interface EventBridgeReleaseSchedulerOptions {
  readonly client: SchedulerClient;
  /** Schedule group holding one-time job releases, e.g. `conveyor-prod-jobs`. */
  readonly groupName: string;
  /** The release Lambda's ARN (the schedule's target). */
  readonly targetArn: string;
  /** Role EventBridge Scheduler assumes to invoke the target (and to send to the dead-letter queue). */
  readonly roleArn: string;
  /** SQS queue that receives a release EventBridge Scheduler could not deliver after its retries. */
  readonly deadLetterArn?: string;
}

/**
 * ReleaseScheduler on EventBridge Scheduler: one `at(…)` schedule per held job, in UTC, no flexible
 * window, deleted after it fires (ActionAfterCompletion DELETE), invoking the release Lambda with
 * `{"jobId": …}`. Failures, and where they end up:
 * - the scheduler cannot invoke the target (throttled, no permission): it retries up to 185 times over
 *   24 h (the service's maximum), then delivers the event to the schedule's dead-letter queue
 *   (https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html);
 * - the target runs and fails: EventBridge Scheduler invokes Lambda asynchronously
 *   (https://docs.aws.amazon.com/lambda/latest/dg/with-eventbridge-scheduler.html), so Lambda retries
 *   it twice and then hands the event to the function's on-failure destination, or drops it
 *   (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html) — the stack gives the target
 *   one (infra/constructs/JobScheduling.ts).
 * Either way the one-time schedule is gone; the job's record stays QUEUED with its sweep entry, and the
 * recovery sweep releases it a little after its run time.
 *
 * Idempotent by name (`job-<jobId>`): creating the schedule of a job that already has one (the sweep
 * redoing the work of an enqueue that died after scheduling) is a success, not a second schedule.
 */
export class EventBridgeReleaseScheduler implements ReleaseScheduler {
  constructor(private readonly options: EventBridgeReleaseSchedulerOptions) {}

  async scheduleRelease(jobId: string, runAt: Date, generation = 0): Promise<void> {
    try {
      await this.options.client.send(
        new CreateScheduleCommand({
          // One schedule per generation: an edited job's earlier schedule fires too, and is skipped.
          Name: generation ? `job-${jobId}-g${generation}` : `job-${jobId}`,
          GroupName: this.options.groupName,
          ScheduleExpression: atExpression(runAt),
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: this.options.targetArn,
            RoleArn: this.options.roleArn,
            Input: JSON.stringify(generation ? { jobId, generation } : { jobId }),
            RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
            ...(this.options.deadLetterArn ? { DeadLetterConfig: { Arn: this.options.deadLetterArn } } : {}),
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConflictException) return;
      throw schedulerFailure("scheduling the job's release", error);
    }
  }
}

/**
 * `at(yyyy-mm-ddThh:mm:ss)`: the service takes whole seconds and no zone suffix (the zone is
 * ScheduleExpressionTimezone). Rounded up, so a job never starts before its runAt.
 */
export function atExpression(runAt: Date): string {
  const seconds = new Date(Math.ceil(runAt.getTime() / 1000) * 1000);
  return `at(${seconds.toISOString().slice(0, 19)})`;
}
