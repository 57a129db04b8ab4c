import type { ConveyorConfig } from '../../shared/config/env.js';
import { DEFAULT_TENANT_ENQUEUE_LIMIT, parseRateRule } from '../../shared/jobs/rate-limits.js';
import type { RateRule } from '../../shared/ports/rate-limiter.js';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { ReleaseScheduler } from '../../shared/ports/release-scheduler.js';
import { EventBridgeReleaseScheduler } from '../adapters/aws/eventbridge-release-scheduler.js';
import { traced } from '../adapters/aws/tracing.js';
import { addressPolicy, type AddressPolicy } from '../webhooks/address-policy.js';

export function tenantEnqueueRule(config: ConveyorConfig): RateRule {
  return (config.CONVEYOR_TENANT_ENQUEUE_LIMIT && parseRateRule(config.CONVEYOR_TENANT_ENQUEUE_LIMIT)) || DEFAULT_TENANT_ENQUEUE_LIMIT;
}

/** EventBridge Scheduler when its three settings are present; otherwise none (runAt > 15 min → 500 CONFIGURATION_ERROR). */
export function createReleaseScheduler(config: ConveyorConfig): ReleaseScheduler | undefined {
  const { CONVEYOR_SCHEDULE_GROUP: groupName, CONVEYOR_RELEASE_FUNCTION_ARN: targetArn, CONVEYOR_SCHEDULER_ROLE_ARN: roleArn, CONVEYOR_SCHEDULE_DLQ_ARN: deadLetterArn } = config;
  if (!groupName || !targetArn || !roleArn) return undefined;
  return new EventBridgeReleaseScheduler({ client: traced(new SchedulerClient({ region: config.AWS_REGION })), groupName, targetArn, roleArn, ...(deadLetterArn ? { deadLetterArn } : {}) });
}

/**
 * The webhook outbox (delivery queue) and the callback address policy when webhooks are configured;
 * otherwise none. Enqueuers need no signing key: only the webhook consumer signs.
 */
export function webhookSettings(config: ConveyorConfig): { queueUrl: string; policy: AddressPolicy } | undefined {
  if (!config.CONVEYOR_WEBHOOK_QUEUE_URL) return undefined;
  return { queueUrl: config.CONVEYOR_WEBHOOK_QUEUE_URL, policy: addressPolicy(config.CONVEYOR_WEBHOOK_ALLOW_HOSTS) };
}
