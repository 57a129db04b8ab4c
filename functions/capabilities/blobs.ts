import { requireSetting, type ConveyorConfig } from '../../shared/config/env.js';
import { awsClientSettings, createS3Client } from '../adapters/aws/clients.js';
import { S3BlobStore } from '../adapters/aws/s3-blob-store.js';
import type { S3ObjectClient } from '../adapters/aws/s3-object-client.js';
import type { CapabilityPorts } from '../jobs/define-handler.js';

/** The `blobs` capability: the stage's document bucket behind the BlobStore (only its consumers bundle S3). */
export function blobsPort(config: ConveyorConfig, client: S3ObjectClient = createS3Client(awsClientSettings(config))): CapabilityPorts['blobs'] {
  return new S3BlobStore({ client, bucket: requireSetting(config, 'CONVEYOR_BUCKET_NAME', 'the blobs capability') });
}
