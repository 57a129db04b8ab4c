import * as z from 'zod';
import { aiJob } from './ai.js';
import { analysisJob } from './analysis.js';
import { emailJob } from './email.js';
import { notificationJob } from './notification.js';
import { pdfJob } from './pdf.js';
import type { JobDefinition } from './define.js';
import { isPrioritized } from './priority.js';
import { enqueueOptionsShape, type EnqueueOptions } from './enqueue-options.js';

/**
 * The job registry: the one list that drives the API schema, the consumer handler map, the CDK
 * resources and the local cloud's queues and pollers. Add a job type here and everything follows.
 */
export const jobRegistry = {
  analysis: analysisJob,
  email: emailJob,
  pdf: pdfJob,
  notification: notificationJob,
  ai: aiJob,
} as const;

export type JobRegistry = typeof jobRegistry;
export type JobType = keyof JobRegistry;
export type PayloadOf<K extends JobType> = z.infer<JobRegistry[K]['payload']>;

export const JOB_TYPES = Object.keys(jobRegistry) as JobType[];

export const jobDefinitions: readonly JobDefinition[] = Object.values(jobRegistry);

export function isJobType(value: string): value is JobType {
  return Object.hasOwn(jobRegistry, value);
}

export function getJobDefinition(type: JobType): JobDefinition {
  return jobRegistry[type];
}

type EnqueueVariant<K extends JobType> = z.ZodObject<{ type: z.ZodLiteral<K>; payload: JobRegistry[K]['payload'] } & typeof enqueueOptionsShape>;

function variant<K extends JobType>(type: K): EnqueueVariant<K> {
  const definition: JobDefinition = jobRegistry[type];
  const priority = isPrioritized(definition)
    ? enqueueOptionsShape.priority
    : z.never({ message: `job type "${type}" has no priorities (its definition does not set priorities: true)` }).optional();
  return z
    .object({ type: z.literal(type), payload: jobRegistry[type].payload, ...enqueueOptionsShape, priority })
    .strict()
    .superRefine((request, ctx) => {
      // The analyze API's payload.priority and the option name one thing: they must agree.
      const inPayload = (request.payload as { priority?: unknown } | undefined)?.priority;
      if (request.priority !== undefined && inPayload !== undefined && inPayload !== request.priority) {
        ctx.addIssue({ code: 'custom', path: ['priority'], message: `priority "${request.priority}" disagrees with payload.priority "${String(inPayload)}"; give one, or the same in both` });
      }
    }) as unknown as EnqueueVariant<K>;
}

/**
 * The body of `POST /v1/jobs`: a discriminated union on `type`, built from the registry, so an
 * unknown type or an unknown field is a 400 naming the path.
 */
export const enqueueRequestSchema = z.discriminatedUnion(
  'type',
  JOB_TYPES.map((type) => variant(type)) as unknown as [EnqueueVariant<JobType>, ...EnqueueVariant<JobType>[]],
);

export type EnqueueRequest = { [K in JobType]: { type: K; payload: PayloadOf<K> } & EnqueueOptions }[JobType];
