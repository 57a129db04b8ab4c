import { z } from 'zod';
import { defineJob } from './define.js';

const address = z.email({ message: 'must be an e-mail address' }).max(254);

/** Transactional e-mail through SES. The sender comes from configuration, never from the payload. */
export const emailJob = defineJob({
  type: 'email',
  description: 'Transactional e-mail rendered from a template and sent through SES',
  payload: z
    .object({
      to: z.array(address).min(1).max(50),
      cc: z.array(address).max(50).optional(),
      bcc: z.array(address).max(50).optional(),
      replyTo: address.optional(),
      template: z.enum(['welcome', 'password-reset', 'job-completed', 'invitation', 'daily-digest']),
      data: z.record(z.string(), z.unknown()),
    })
    .strict(),
  // Eager claim: a cancelled job must never send; one extra write per e-mail buys that.
  settings: { timeoutSeconds: 30, memoryMb: 256, batchSize: 5, maxConcurrency: 5, maxAttempts: 5, claim: 'eager', backoff: { baseSeconds: 5, maxSeconds: 600 } },
});
