import { parseConfig } from '../../shared/config/env.js';
import { buildWebhookWorker } from '../roots/webhook-worker.js';

// Consumes the webhook queue: one signed POST per terminal job with a callbackUrl.
export const handler = buildWebhookWorker(parseConfig(process.env));
