import type { ConveyorConfig } from '../../shared/config/env.js';
import { parseRateRule } from '../../shared/jobs/rate-limits.js';
import type { RateRule } from '../../shared/ports/rate-limiter.js';
import type { CapabilityPorts } from '../jobs/define-handler.js';
import { createTextModel } from '../roots/text-model.js';

/** Chat replies per tenant when CONVEYOR_AI_CHAT_LIMIT is unset. */
export const DEFAULT_CHAT_LIMIT: RateRule = { limit: 20, windowSeconds: 60 };

/**
 * The `model` capability: the stage's text model (Bedrock with the model and Region the stack set,
 * or the local stand-in) and the per-tenant budget of chat replies. Only the consumers of types that
 * declare it (or that the stage gives it, AI analysis) import this module and bundle Bedrock.
 */
export function modelPort(config: ConveyorConfig): CapabilityPorts['model'] {
  return {
    model: createTextModel(config),
    chatLimit: (config.CONVEYOR_AI_CHAT_LIMIT ? parseRateRule(config.CONVEYOR_AI_CHAT_LIMIT) : undefined) ?? DEFAULT_CHAT_LIMIT,
  };
}
