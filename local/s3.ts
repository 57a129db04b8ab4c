import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import type { LocalService } from './dynamodb.js';

/**
 * S3 on s3rver: objects on disk (under `directory`, or a temporary folder removed on close), the
 * buckets created at start. s3rver refuses expired presigned URLs but, unlike S3, does not check
 * their signatures (see DESIGN.md).
 */
export async function startS3(options: { directory?: string; buckets: readonly string[]; port?: number }): Promise<LocalService> {
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
