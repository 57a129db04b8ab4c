import { parseConfig } from '../../shared/config/env.js';
import { enableTracing } from '../adapters/aws/tracing.js';
import { webhookSecretReader } from '../adapters/aws/webhook-secret.js';
import { buildWebhookWorker, loadWebhookSigningKey } from '../roots/webhook-worker.js';

// Consumes the webhook queue: one signed POST per terminal job with a callbackUrl. Tracing loads and
// the signing key is read once per cold start (top-level await), before the first delivery.
const config = parseConfig(process.env);
await enableTracing(config);
export const handler = buildWebhookWorker(config, await loadWebhookSigningKey(config, webhookSecretReader(config)));
