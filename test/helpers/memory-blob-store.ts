import type { BlobStore } from '../../shared/ports/blob-store.js';

/** A BlobStore in memory, for unit tests of handlers and services that write files. */
export class MemoryBlobStore implements BlobStore {
  readonly objects = new Map<string, { body: Uint8Array; contentType: string }>();

  async put(key: string, body: Uint8Array, options: { contentType: string }): Promise<void> {
    this.objects.set(key, { body, contentType: options.contentType });
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.objects.get(key)?.body;
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }

  async downloadUrl(key: string, options: { expiresInSeconds: number; fileName?: string }): Promise<string> {
    return `memory://${key}?expires=${options.expiresInSeconds}${options.fileName ? `&name=${options.fileName}` : ''}`;
  }
}
