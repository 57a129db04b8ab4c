/** Approximate message counts of one SQS queue (GetQueueAttributes). */
export interface QueueDepth {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}

/** A DLQ → source message move (StartMessageMoveTask / ListMessageMoveTasks). */
export interface RedriveTask {
  readonly status: 'RUNNING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';
  readonly moved: number;
  readonly toMove: number;
  readonly startedAt: string;
  readonly failureReason?: string;
}

/** The operator's side of a job type's queue and dead-letter queue. */
export interface QueueAdmin {
  depths(type: string): Promise<{ queue: QueueDepth; dlq: QueueDepth }>;
  /** Starts moving every DLQ message back to its source queue. Throws RedriveInProgressError if one runs. */
  startRedrive(type: string): Promise<void>;
  /** The most recent move task of the type's DLQ, if any. */
  latestRedrive(type: string): Promise<RedriveTask | undefined>;
}
