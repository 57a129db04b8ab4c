import type { ConveyorConfig } from '../../shared/config/env.js';
import { DEFAULT_TENANT_ENQUEUE_LIMIT, parseRateRule } from '../../shared/jobs/rate-limits.js';
import { unlimited, type RateLimiter, type RateRule } from '../../shared/ports/rate-limiter.js';
import { UpstashRateLimiter } from '../adapters/upstash/upstash-rate-limiter.js';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { ReleaseScheduler } from '../../shared/ports/release-scheduler.js';
import { EventBridgeReleaseScheduler } from '../adapters/aws/eventbridge-release-scheduler.js';
import { addressPolicy, type AddressPolicy } from '../webhooks/address-policy.js';

/** The shared limiter: Upstash when both UPSTASH_REDIS_REST_* variables are set, otherwise off. */
export function createRateLimiter(config: ConveyorConfig): RateLimiter {
  if (!config.UPSTASH_REDIS_REST_URL || !config.UPSTASH_REDIS_REST_TOKEN) return unlimited;
  return new UpstashRateLimiter({ url: config.UPSTASH_REDIS_REST_URL, token: config.UPSTASH_REDIS_REST_TOKEN, prefix: `conveyor:${config.CONVEYOR_STAGE}:` });
}

export function tenantEnqueueRule(config: ConveyorConfig): RateRule {
  return (config.CONVEYOR_TENANT_ENQUEUE_LIMIT && parseRateRule(config.CONVEYOR_TENANT_ENQUEUE_LIMIT)) || DEFAULT_TENANT_ENQUEUE_LIMIT;
}

/** One line for start-up logs: whether limits are on, and why not when they are off. */
export function describeRateLimits(config: ConveyorConfig, reason?: string): string {
  if (!config.UPSTASH_REDIS_REST_URL || !config.UPSTASH_REDIS_REST_TOKEN) {
    return `rate limits OFF — Upstash Redis is not configured (UPSTASH_REDIS_REST_URL / UPSTASH_REDIS_REST_TOKEN unset)${reason ? `: ${reason}` : ''}`;
  }
  const rule = tenantEnqueueRule(config);
  return `rate limits ON — Upstash Redis at ${config.UPSTASH_REDIS_REST_URL}; enqueue ${rule.limit} jobs per ${rule.windowSeconds} s per tenant`;
}

/** EventBridge Scheduler when its three settings are present; otherwise none (runAt > 15 min → 503). */
export function createReleaseScheduler(config: ConveyorConfig): ReleaseScheduler | undefined {
  const { CONVEYOR_SCHEDULE_GROUP: groupName, CONVEYOR_RELEASE_FUNCTION_ARN: targetArn, CONVEYOR_SCHEDULER_ROLE_ARN: roleArn } = config;
  if (!groupName || !targetArn || !roleArn) return undefined;
  return new EventBridgeReleaseScheduler({ client: new SchedulerClient({ region: config.AWS_REGION }), groupName, targetArn, roleArn });
}

/** The webhook outbox and address policy when both webhook settings are present; otherwise none. */
export function webhookSettings(config: ConveyorConfig): { queueUrl: string; secret: string; policy: AddressPolicy } | undefined {
  if (!config.CONVEYOR_WEBHOOK_QUEUE_URL || !config.CONVEYOR_WEBHOOK_SECRET) return undefined;
  return { queueUrl: config.CONVEYOR_WEBHOOK_QUEUE_URL, secret: config.CONVEYOR_WEBHOOK_SECRET, policy: addressPolicy(config.CONVEYOR_WEBHOOK_ALLOW_HOSTS) };
}
