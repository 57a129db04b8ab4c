import * as z from 'zod';
import { isJobId } from '../domain/job-id.js';
import { defineJob } from './define.js';
import { multiLine, singleLine, webUrl } from './fields.js';

const USER_ID = /^[A-Za-z0-9._:@+-]{1,128}$/;

/**
 * A recipient id in the tenant's own terms (its user id). It is part of a table key
 * (`NOTIF#<tenant>#<userId>`), so `#` and anything that is not a plain id character are refused.
 */
export const userId = z.string().regex(USER_ID, 'must be 1–128 characters of letters, digits and . _ : @ + -');

/** `<base64url(userId)>.<jobId>`: the API's notification id carries the item's whole key (user and job). */
export function notificationId(user: string, jobId: string): string {
  return `${Buffer.from(user, 'utf8').toString('base64url')}.${jobId}`;
}

export function parseNotificationId(id: string): { userId: string; jobId: string } | undefined {
  const match = /^([A-Za-z0-9_-]{1,172})\.([0-9a-f-]{36})$/.exec(id);
  if (!match || !isJobId(match[2]!)) return undefined;
  const user = Buffer.from(match[1]!, 'base64url').toString('utf8');
  return USER_ID.test(user) ? { userId: user, jobId: match[2]! } : undefined;
}

/** Days a notification is kept before DynamoDB TTL removes it. */
export const NOTIFICATION_RETENTION_DAYS = 90;

const common = {
  userId,
  title: singleLine(200),
  body: multiLine(2_000),
  link: webUrl.optional(),
};

const system = z.object({ ...common, kind: z.literal('system'), severity: z.enum(['info', 'warning', 'critical']).default('info') }).strict();

const order = z
  .object({
    ...common,
    kind: z.literal('order'),
    orderId: singleLine(100),
    status: z.enum(['placed', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded']),
    total: z.object({ amount: z.number().finite().min(0), currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code like EUR') }).strict().optional(),
  })
  .strict();

const aiInsight = z
  .object({
    ...common,
    kind: z.literal('ai-insight'),
    /** The `ai` job the insight came from, if any. */
    sourceJobId: z.uuid().optional(),
    confidence: z.number().min(0).max(1).optional(),
  })
  .strict();

const marketplace = z
  .object({
    ...common,
    kind: z.literal('marketplace'),
    listingId: singleLine(100),
    event: z.enum(['new-listing', 'price-drop', 'sold', 'message', 'review']),
  })
  .strict();

const notificationPayload = z.discriminatedUnion('kind', [system, order, aiInsight, marketplace]);

export type NotificationPayload = z.infer<typeof notificationPayload>;
export type NotificationKind = NotificationPayload['kind'];

/** In-app notifications: stored per user (newest first), e-mailed too when the user turned that on. */
export const notificationJob = defineJob({
  type: 'notification',
  description: 'In-app notification stored per user, e-mailed when the user has e-mail notifications on',
  payload: notificationPayload,
  settings: { timeoutSeconds: 30, memoryMb: 256, batchSize: 10, maxConcurrency: 5, maxAttempts: 5, uses: ['inbox', 'enqueue'], enqueues: ['email'] },
});
