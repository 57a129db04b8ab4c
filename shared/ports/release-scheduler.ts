/**
 * Holds a job until `runAt`, then releases it to the job's queue (EventBridge Scheduler one-time
 * schedules on AWS, the local cloud's scheduler locally) — for starts beyond SQS's 15-minute
 * DelaySeconds ceiling. Only the job id is held: the record carries the rest, and a schedule's
 * input is capped at 8 KB.
 */
export interface ReleaseScheduler {
  /**
   * Holds the job's message of `generation` (absent: 0) until `runAt`. An edit that moves a held job
   * schedules its new generation; the old schedule still fires and its release is skipped.
   * Throws `DependencyUnavailableError` when the schedule could not be created.
   */
  scheduleRelease(jobId: string, runAt: Date, generation?: number): Promise<void>;
}
