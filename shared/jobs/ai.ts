import * as z from 'zod';
import { defineJob } from './define.js';
import { multiLine, singleLine } from './fields.js';

/** Longest series the numerical tasks take: well inside a second of CPU. */
export const MAX_SERIES_POINTS = 10_000;
/** Upper bound on a chat reply's tokens (the Converse `maxTokens` the job may ask for). */
export const MAX_CHAT_TOKENS = 4_096;
export const DEFAULT_CHAT_TOKENS = 512;

const series = (min: number) =>
  z.array(z.number().finite('must be a finite number'), 'must be an array of numbers').min(min, `needs at least ${min} points`).max(MAX_SERIES_POINTS, `at most ${MAX_SERIES_POINTS} points`);

const dailyBriefing = z
  .object({
    task: z.literal('daily-briefing'),
    /** The day the briefing is for, shown in its title (defaults to the run date). */
    date: z.iso.date({ message: 'must be a date like 2026-11-23' }).optional(),
    audience: singleLine(100).optional(),
    items: z
      .array(
        z
          .object({
            title: singleLine(200),
            summary: multiLine(2_000).optional(),
            category: singleLine(60).optional(),
            priority: z.enum(['low', 'normal', 'high']).optional(),
          })
          .strict(),
      )
      .min(1, 'needs at least one item')
      .max(100, 'at most 100 items'),
  })
  .strict();

const insightGeneration = z
  .object({
    task: z.literal('insight-generation'),
    context: multiLine(2_000).optional(),
    metrics: z
      .array(
        z
          .object({
            name: singleLine(100),
            value: z.number().finite(),
            previous: z.number().finite().optional(),
            unit: singleLine(20).optional(),
          })
          .strict(),
      )
      .min(1, 'needs at least one metric')
      .max(100, 'at most 100 metrics'),
    /** How many insights to return, most important first. */
    limit: z.number().int().min(1).max(20).default(5),
  })
  .strict();

const chatResponse = z
  .object({
    task: z.literal('chat-response'),
    system: multiLine(4_000).optional(),
    messages: z
      .array(z.object({ role: z.enum(['user', 'assistant']), content: multiLine(8_000) }).strict())
      .min(1, 'needs at least one message')
      .max(50, 'at most 50 messages')
      .refine((messages) => messages.at(-1)?.role === 'user', { message: 'the last message must be the user’s' }),
    maxTokens: z.number().int().min(1).max(MAX_CHAT_TOKENS).default(DEFAULT_CHAT_TOKENS),
  })
  .strict();

const demandForecast = z
  .object({
    task: z.literal('demand-forecast'),
    series: series(3),
    horizon: z.number().int().min(1).max(365),
    /** Coverage of each point's [low, high] interval. */
    interval: z.union([z.literal(0.8), z.literal(0.95)]).default(0.95),
  })
  .strict();

const anomalyDetection = z
  .object({
    task: z.literal('anomaly-detection'),
    series: series(3),
    /** |modified z-score| above which a point is an anomaly (3.5 per Iglewicz & Hoaglin). */
    threshold: z.number().min(1).max(20).default(3.5),
  })
  .strict();

const aiPayload = z.discriminatedUnion('task', [dailyBriefing, insightGeneration, chatResponse, demandForecast, anomalyDetection]);

export type AiPayload = z.infer<typeof aiPayload>;
export type AiTask = AiPayload['task'];

/** AI tasks: three through the stage's text model (Amazon Bedrock), two numerical ones that need no model. */
export const aiJob = defineJob({
  type: 'ai',
  description: 'AI tasks: daily briefing, insights and chat through Amazon Bedrock; demand forecast and anomaly detection computed',
  payload: aiPayload,
  // Model calls take seconds and are throttled by account quotas: a longer timeout, small batches,
  // and more attempts with a backoff that outlasts a throttling burst.
  settings: { timeoutSeconds: 120, memoryMb: 512, batchSize: 2, maxConcurrency: 5, maxAttempts: 5, backoff: { baseSeconds: 5, maxSeconds: 300 }, uses: ['model'] },
});
