import * as z from 'zod';
import { defineJob } from './define.js';
import { emailTemplates, type EmailTemplateName } from './email-templates/index.js';
import { emailAddress, singleLine } from './fields.js';

/** SES refuses a message with more than 50 recipients across To, Cc and Bcc. */
export const MAX_RECIPIENTS = 50;

/** The fields every template shares. No `from`: the sender comes from configuration, never the payload. */
const envelope = {
  to: z.array(emailAddress).min(1, 'at least one recipient').max(MAX_RECIPIENTS, `at most ${MAX_RECIPIENTS} recipients`),
  cc: z.array(emailAddress).max(MAX_RECIPIENTS, `at most ${MAX_RECIPIENTS} recipients`).optional(),
  bcc: z.array(emailAddress).max(MAX_RECIPIENTS, `at most ${MAX_RECIPIENTS} recipients`).optional(),
  replyTo: emailAddress.optional(),
  /** Replaces the template's subject. Single line: a CR/LF here would be header injection. */
  subject: singleLine(200).optional(),
};

type Variant<K extends EmailTemplateName> = z.ZodObject<
  typeof envelope & { template: z.ZodLiteral<K>; data: (typeof emailTemplates)[K]['data'] },
  z.core.$strict
>;

function variant<K extends EmailTemplateName>(name: K): Variant<K> {
  return z.object({ ...envelope, template: z.literal(name), data: emailTemplates[name].data }).strict() as Variant<K>;
}

/**
 * The e-mail payload: a union on `template`, so each template's `data` is checked by its own schema
 * at enqueue (`payload.data.resetUrl`, not a failure on the worker).
 */
const emailPayload = z
  .discriminatedUnion('template', [
    variant('welcome'),
    variant('password-reset'),
    variant('job-completed'),
    variant('invitation'),
    variant('daily-digest'),
    variant('notification'),
  ])
  .superRefine((payload, ctx) => {
    const total = payload.to.length + (payload.cc?.length ?? 0) + (payload.bcc?.length ?? 0);
    if (total > MAX_RECIPIENTS) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: `to, cc and bcc hold ${total} recipients together; SES allows at most ${MAX_RECIPIENTS}` });
    }
  });

export type EmailPayload = z.infer<typeof emailPayload>;

/** Transactional e-mail through SES. The sender comes from configuration, never from the payload. */
export const emailJob = defineJob({
  type: 'email',
  description: 'Transactional e-mail rendered from a template and sent through SES',
  payload: emailPayload,
  // Eager claim: a cancelled job must never send; one extra write per e-mail buys that.
  settings: { timeoutSeconds: 30, memoryMb: 256, batchSize: 5, maxConcurrency: 5, maxAttempts: 5, claim: 'eager', backoff: { baseSeconds: 5, maxSeconds: 600 }, uses: ['email'] },
});
