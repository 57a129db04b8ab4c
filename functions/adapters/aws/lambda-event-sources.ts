import { ConfigurationError, DependencyUnavailableError } from '../../../shared/domain/errors.js';
import type { ConsumerSwitch } from '../../../shared/ports/queue-pauses.js';
import type { EventSourceMappingUpdater } from './lambda-mappings-client.js';

export interface LambdaEventSourcesOptions {
  readonly client: EventSourceMappingUpdater;
  /** Job type → the UUIDs of its event source mappings, one per lane (CONVEYOR_EVENT_SOURCE_MAPPINGS). */
  readonly mappings: Readonly<Record<string, readonly string[]>>;
  /** Waits before the tries after a mapping answered ResourceInUseException (it was changing state). */
  readonly busyRetryDelaysMs?: readonly number[];
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * ConsumerSwitch on Lambda's event source mappings: `UpdateEventSourceMapping { Enabled }` on each of
 * the type's mappings (every priority lane has its own). The API reference: "When false, Lambda pauses
 * polling and invocation", and the operation lets you "pause invocation and resume later from the same
 * location"; messages stay in the queue meanwhile (and count against its retention period).
 * https://docs.aws.amazon.com/lambda/latest/api/API_UpdateEventSourceMapping.html
 * The mappings are named by UUID in the environment (the CDK writes them) rather than found with
 * ListEventSourceMappings, which IAM cannot scope to resources: the role holds UpdateEventSourceMapping
 * on these mappings' ARNs only (https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html).
 */
export class LambdaEventSources implements ConsumerSwitch {
  readonly #client: EventSourceMappingUpdater;
  readonly #mappings: Readonly<Record<string, readonly string[]>>;
  readonly #busyRetryDelaysMs: readonly number[];
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: LambdaEventSourcesOptions) {
    this.#client = options.client;
    this.#mappings = options.mappings;
    this.#busyRetryDelaysMs = options.busyRetryDelaysMs ?? [300, 1_000];
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async setEnabled(type: string, enabled: boolean): Promise<void> {
    const uuids = this.#mappings[type];
    if (!uuids?.length) throw new ConfigurationError(`no event source mapping configured for job type "${type}" (CONVEYOR_EVENT_SOURCE_MAPPINGS)`);
    await Promise.all(uuids.map((uuid) => this.#update(uuid, enabled)));
  }

  async #update(uuid: string, enabled: boolean): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#client.updateEventSourceMapping({ UUID: uuid, Enabled: enabled });
        return;
      } catch (error) {
        // A mapping still Creating, Updating, Enabling or Disabling refuses updates for a moment.
        const busy = error instanceof Error && error.name === 'ResourceInUseException';
        const delay = this.#busyRetryDelaysMs[attempt];
        if (busy && delay !== undefined) {
          await this.#sleep(delay);
          continue;
        }
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        throw new DependencyUnavailableError('lambda', `UpdateEventSourceMapping ${uuid} (Enabled=${enabled}) failed — ${reason}`, { cause: error });
      }
    }
  }
}
