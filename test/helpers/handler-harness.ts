import { vi } from 'vitest';
import type { AllPorts } from '../../functions/jobs/index.js';
import type { JobContext } from '../../functions/worker/context.js';
import { silentLogger } from '../../shared/logging/logger.js';
import type { Mailer, OutgoingEmail } from '../../shared/ports/mailer.js';
import { DEFAULT_CHAT_LIMIT } from '../../functions/capabilities/model.js';
import { LocalTextModel } from '../../functions/adapters/local-text-model.js';
import { unlimited } from '../../shared/ports/rate-limiter.js';
import { MemoryBlobStore } from './memory-blob-store.js';
import { MemoryJobStore } from './memory-job-store.js';
import { MemorySideEffectLedger } from './memory-side-effects.js';

/** A Mailer that keeps what it was asked to send. */
export class RecordingMailer implements Mailer {
  readonly sent: OutgoingEmail[] = [];
  async send(email: OutgoingEmail): Promise<{ messageId: string }> {
    this.sent.push(email);
    return { messageId: `memory-${this.sent.length}` };
  }
}

/**
 * Every port a handler can be given, in memory: pass it to a handler module's `create` in a unit
 * test, whatever capabilities the type declares.
 */
export function memoryPorts(): AllPorts & { readonly store: MemoryJobStore; readonly blobs: MemoryBlobStore; readonly email: { readonly mailer: RecordingMailer; readonly sender: string } } {
  const store = new MemoryJobStore();
  return {
    store,
    ledger: new MemorySideEffectLedger(store),
    limiter: unlimited,
    optional: {},
    email: { mailer: new RecordingMailer(), sender: 'Conveyor <no-reply@example.com>' },
    blobs: new MemoryBlobStore(),
    model: { model: new LocalTextModel(), chatLimit: DEFAULT_CHAT_LIMIT },
    // The notification handler's own tests give it a store and an enqueuer of their own.
    inbox: notInMemory('inbox'),
    enqueue: notInMemory('enqueue'),
  };
}

/** A port these in-memory ports do not provide: any call says which, instead of passing silently. */
function notInMemory<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get: (_target, property) => () => {
      throw new Error(`memoryPorts() has no ${name} port (called ${String(property)}); give the handler one of its own`);
    },
  });
}

/** A JobContext for one run: its progress calls recorded, its signal controlled by `abort`. */
export function jobContext(overrides: Partial<Pick<JobContext, 'jobId' | 'tenant' | 'type' | 'attempt' | 'maxAttempts'>> = {}): JobContext & {
  readonly progress: ReturnType<typeof vi.fn<JobContext['progress']>>;
  abort(reason?: unknown): void;
} {
  const controller = new AbortController();
  return {
    jobId: 'job-1',
    tenant: 'tenant-1',
    type: 'test',
    attempt: 1,
    maxAttempts: 3,
    ...overrides,
    signal: controller.signal,
    logger: silentLogger,
    progress: vi.fn<JobContext['progress']>(async () => undefined),
    abort: (reason?: unknown) => controller.abort(reason),
  };
}
