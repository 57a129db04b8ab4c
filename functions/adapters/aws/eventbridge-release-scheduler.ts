import { CreateScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import { schedulerFailure } from './sdk-errors.js';
import type { ReleaseScheduler } from '../../../shared/ports/release-scheduler.js';

export interface EventBridgeReleaseSchedulerOptions {
  readonly client: SchedulerClient;
  /** Schedule group holding one-time job releases, e.g. `conveyor-prod-jobs`. */
  readonly groupName: string;
  /** The release Lambda's ARN (the schedule's target). */
  readonly targetArn: string;
  /** Role EventBridge Scheduler assumes to invoke the target. */
  readonly roleArn: string;
}

/**
 * ReleaseScheduler on EventBridge Scheduler: one `at(…)` schedule per held job, in UTC, no flexible
 * window, deleted after it fires (ActionAfterCompletion DELETE), invoking the release Lambda with
 * `{"jobId": …}`. Retries: up to 185 attempts over 24 h (the service's maximum), so a brief outage
 * of the queue does not lose a release.
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
          },
        }),
      );
    } catch (error) {
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
