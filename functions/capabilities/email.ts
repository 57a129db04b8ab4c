import type { SesEmailClient } from '../adapters/aws/ses-email-client.js';
import { requireSetting, type ConveyorConfig } from '../../shared/config/env.js';
import { awsClientSettings, createSesClient } from '../adapters/aws/clients.js';
import { SesMailer } from '../adapters/aws/ses-mailer.js';
import type { CapabilityPorts } from '../jobs/define-handler.js';

/**
 * The `email` capability: SES v2 behind the Mailer, and the sender from configuration. Only the
 * consumers of types that declare it import this module, so only they bundle the SES client.
 */
export function emailPort(config: ConveyorConfig, client: SesEmailClient = createSesClient(awsClientSettings(config))): CapabilityPorts['email'] {
  return {
    mailer: new SesMailer({ client, ...(config.CONVEYOR_SES_CONFIGURATION_SET ? { configurationSetName: config.CONVEYOR_SES_CONFIGURATION_SET } : {}) }),
    sender: requireSetting(config, 'CONVEYOR_EMAIL_FROM', 'the email capability'),
  };
}
