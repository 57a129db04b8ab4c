import type * as z from 'zod';
import type { Capability, JobDefinition } from '../../shared/jobs/define.js';
import type { BlobStore } from '../../shared/ports/blob-store.js';
import type { JobStore } from '../../shared/ports/job-store.js';
import type { Mailer } from '../../shared/ports/mailer.js';
import type { NotificationStore } from '../../shared/ports/notifications.js';
import type { RateLimiter, RateRule } from '../../shared/ports/rate-limiter.js';
import type { SideEffectLedger } from '../../shared/ports/side-effects.js';
import type { TextModel } from '../../shared/ports/text-model.js';
import type { JobHandler } from '../worker/context.js';
import type { FollowUpEnqueuer } from './follow-up.js';

/** What every handler may use, whatever its type declares. */
export interface CorePorts {
  /** The job store: read another job of the same tenant (the PDF of a finished analysis). */
  readonly store: JobStore;
  /** Checkpoints an external side effect on the job, so a redelivered message never repeats it. */
  readonly ledger: SideEffectLedger;
  /**
   * The shared rate limiter (Upstash), loaded at cold start only by the consumers of types with a
   * provider limit or a model; `unlimited` in every other consumer.
   */
  readonly limiter: RateLimiter;
  /**
   * Capabilities the stage gives a type beyond its `uses`: with AI analysis on, the analysis type
   * gets the `model` (its consumer then bundles and is granted it; otherwise this is empty).
   */
  readonly optional: Partial<CapabilityPorts>;
}

/**
 * The port each capability in `settings.uses` brings, built from its SDK client by
 * `functions/capabilities/<name>.ts`. Exhaustive: a capability added in shared/jobs/define.ts
 * does not compile until it has a port here (and a grant in infra/constructs/capabilities.ts).
 */
export interface CapabilityPorts {
  /** SES behind the Mailer, and the configured sender (`CONVEYOR_EMAIL_FROM`). */
  readonly email: { readonly mailer: Mailer; readonly sender: string };
  /** The stage's document bucket. */
  readonly blobs: BlobStore;
  /** The stage's text model (Bedrock, or the local stand-in), and each tenant's budget of chat replies. */
  readonly model: { readonly model: TextModel; readonly chatLimit: RateRule };
  /** Users' in-app notifications, in the tenant's partition of the job table. */
  readonly inbox: NotificationStore;
  /** The API's enqueue path, for follow-up jobs of the types in `settings.enqueues`. */
  readonly enqueue: FollowUpEnqueuer;
}

/** The ports of a type that declares `uses: U[]`: the core ones and exactly its capabilities'. */
export type PortsOf<U extends Capability> = CorePorts & { readonly [C in U]: CapabilityPorts[C] };

/** The capabilities a definition declares. */
export type UsesOf<D extends JobDefinition> = D['settings']['uses'][number];

/**
 * A job type's handler module (`functions/jobs/<type>/handler.ts`, default export): its definition
 * and how to build its handler from the ports, once per cold start.
 */
export interface JobHandlerModule<D extends JobDefinition = JobDefinition, TResult = unknown> {
  readonly definition: D;
  create(ports: PortsOf<UsesOf<D>>): JobHandler<z.output<D['payload']>, TResult>;
}

/** The result type a handler module's handler resolves with. */
export type ResultOfModule<M> = M extends JobHandlerModule<JobDefinition, infer R> ? R : never;

/**
 * Declares a job type's handler. `create` gets the ports its definition's `uses` grants (typed by
 * them) and returns the function that runs one job: `(payload, context) => result`.
 */
export function defineHandler<D extends JobDefinition, TResult>(
  definition: D,
  create: (ports: PortsOf<UsesOf<D>>) => JobHandler<z.output<D['payload']>, TResult>,
): JobHandlerModule<D, TResult> {
  return Object.freeze({ definition, create });
}
