import * as z from 'zod';
import { groupKeySchema } from './ordering.js';

/** The names a `priority` may take (shared/jobs/priority.ts). */
const PRIORITY_NAMES = ['low', 'normal', 'high'] as const;

/** The longest `ttlSeconds`: 14 days, SQS's longest message retention. */
export const MAX_TTL_SECONDS = 14 * 86_400;

/** SQS's own ceiling on DelaySeconds: 15 minutes. Later starts are held by a scheduler. */
export const MAX_SQS_DELAY_SECONDS = 900;

/**
 * Per-enqueue options beside `type` and `payload` (graphile-worker's spec: run-at, key…). The
 * static checks are here; checks against the clock (runAt in the past, too far ahead) are made when
 * the job is planned, in `functions/scheduling/release-plan.ts`.
 */
export const enqueueOptionsShape = {
  /** Start no earlier than this many seconds from now (0–900, SQS DelaySeconds). */
  delaySeconds: z.number().int().min(0).max(MAX_SQS_DELAY_SECONDS).optional(),
  /** Start no earlier than this instant (ISO 8601 with a zone offset, e.g. 2026-12-01T08:00:00Z). */
  runAt: z.iso.datetime({ offset: true, message: 'runAt must be an ISO 8601 date-time with a zone, e.g. 2026-12-01T08:00:00Z' }).optional(),
  /**
   * Seconds the job may wait, from when it is due (now, or its runAt), before it must have started:
   * later it ends EXPIRED without running. 1 s to 14 days (the longest an SQS message can wait).
   */
  ttlSeconds: z.number({ message: 'ttlSeconds must be a whole number of seconds' }).int({ message: 'ttlSeconds must be a whole number of seconds' }).min(1, { message: 'ttlSeconds must be at least 1' }).max(MAX_TTL_SECONDS, { message: `ttlSeconds must be at most ${MAX_TTL_SECONDS} (14 days)` }).optional(),
  /**
   * low | normal | high, for a type with `priorities: true` (registry.ts refuses it for the others).
   * Each priority has its own queue and consumer pool (shared/jobs/priority.ts).
   */
  priority: z.enum(PRIORITY_NAMES, { message: 'priority must be low, normal or high' }).optional(),
  /** POSTed the job's status when it ends (SUCCEEDED, FAILED, DEAD, CANCELLED, EXPIRED), signed. */
  callbackUrl: z.url({ protocol: /^https?$/, message: 'callbackUrl must be an http(s) URL' }).max(2_048).optional(),
  /** The job's group (shared/jobs/ordering.ts): order on a FIFO type, fairness on a standard one. Default: the tenant's group. */
  groupKey: groupKeySchema.optional(),
} as const;

export interface EnqueueOptions {
  readonly delaySeconds?: number;
  readonly runAt?: string;
  readonly priority?: 'low' | 'normal' | 'high';
  readonly ttlSeconds?: number;
  readonly callbackUrl?: string;
  readonly groupKey?: string;
}
