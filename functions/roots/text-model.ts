import { requireSetting, type ConveyorConfig } from '../../shared/config/env.js';
import type { TextModel } from '../../shared/ports/text-model.js';
import { BedrockTextModel, createBedrockClient } from '../adapters/aws/bedrock-text-model.js';
import { LocalTextModel } from '../adapters/local-text-model.js';

/**
 * The stage's text model: Amazon Bedrock (the model and Region the stack configured) or the local
 * deterministic stand-in. Only the consumers that call a model import this module.
 */
export function createTextModel(config: ConveyorConfig): TextModel {
  if (config.CONVEYOR_AI_PROVIDER === 'local') return new LocalTextModel(config.CONVEYOR_AI_MODEL_ID ? { modelId: config.CONVEYOR_AI_MODEL_ID } : {});
  const modelId = requireSetting(config, 'CONVEYOR_AI_MODEL_ID', 'the bedrock text model');
  const client = createBedrockClient({
    region: config.CONVEYOR_AI_REGION ?? config.AWS_REGION,
    endpoint: config.AWS_ENDPOINT_URL_BEDROCK_RUNTIME,
    bearerToken: config.AWS_BEARER_TOKEN_BEDROCK,
  });
  return new BedrockTextModel({ client, modelId });
}

/** One line for start-up logs: which model the AI tasks use. */
export function describeTextModel(config: ConveyorConfig): string {
  return config.CONVEYOR_AI_PROVIDER === 'local'
    ? 'AI tasks use the LOCAL model (deterministic stand-in; no Bedrock calls)'
    : `AI tasks use Amazon Bedrock model ${config.CONVEYOR_AI_MODEL_ID ?? '(unset)'} in ${config.CONVEYOR_AI_REGION ?? config.AWS_REGION}`;
}
