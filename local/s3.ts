import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import S3rverAccount from 's3rver/lib/models/account.js';
import type { LocalService } from './dynamodb.js';
import { answerOnlyLoopbackHosts } from './loopback-host.js';

/**
 * S3 on s3rver: objects on disk (under `directory`, or a temporary folder removed on close), the
 * buckets created at start. s3rver refuses expired presigned URLs but, unlike S3, does not check
 * their signatures (see DESIGN.md).
 */
export async function startS3(options: {
  directory?: string;
  buckets: readonly string[];
  port?: number;
  /** The access key the SDK clients sign with: s3rver refuses unknown key ids (it knows only S3RVER). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}): Promise<LocalService> {
  if (options.credentials) S3rverAccount.DUMMY_ACCOUNT.createKeyPair(options.credentials.accessKeyId, options.credentials.secretAccessKey);
  const temporary = options.directory === undefined;
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 'conveyor-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    silent: true,
    directory,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  if (server.httpServer) answerOnlyLoopbackHosts(server.httpServer, 'S3');
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      // SDK clients keep connections alive; without this, close() waits for them to time out.
      server.httpServer?.closeAllConnections();
      await server.close();
      if (temporary) rmSync(directory, { recursive: true, force: true });
    },
  };
}
