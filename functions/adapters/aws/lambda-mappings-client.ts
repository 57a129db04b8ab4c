import { escapeUri } from '@smithy/core/protocols';
import { jsonRequest, restJsonError, serviceEndpoint } from './rest-json.js';
import { SignedHttp, type CredentialSource, type RetrySettings } from './signed-http.js';

export interface LambdaMappingsClientOptions {
  readonly region: string;
  /** A local Lambda API (`http://127.0.0.1:port`). */
  readonly endpoint?: string | undefined;
  readonly credentials?: CredentialSource | undefined;
  readonly retry?: Partial<RetrySettings> | undefined;
}

/** What LambdaEventSources needs of Lambda's control plane. */
export interface EventSourceMappingUpdater {
  updateEventSourceMapping(input: { readonly UUID: string; readonly Enabled: boolean }): Promise<void>;
}

/**
 * Lambda's UpdateEventSourceMapping over its REST-JSON API (`PUT /2015-03-31/event-source-mappings/{UUID}`
 * with `{"Enabled": …}`), the one Lambda call Conveyor makes, signed with the SDK's SigV4 signer.
 * Errors are AwsServiceErrors named by Lambda's error type (ResourceInUseException…).
 * https://docs.aws.amazon.com/lambda/latest/api/API_UpdateEventSourceMapping.html
 */
export class LambdaMappingsClient implements EventSourceMappingUpdater {
  readonly #http: SignedHttp;
  readonly #endpoint: URL;

  constructor(options: LambdaMappingsClientOptions) {
    this.#endpoint = serviceEndpoint('lambda', options.region, options.endpoint);
    this.#http = new SignedHttp({ service: 'lambda', s3Signing: false, region: options.region, credentials: options.credentials, retry: options.retry });
  }

  async updateEventSourceMapping(input: { readonly UUID: string; readonly Enabled: boolean }): Promise<void> {
    const request = jsonRequest(this.#endpoint, 'PUT', `/2015-03-31/event-source-mappings/${escapeUri(input.UUID)}`, { Enabled: input.Enabled });
    // Setting Enabled to the same value twice leaves the mapping as once: safe to retry.
    await this.#http.send(request, restJsonError);
  }

  destroy(): void {
    this.#http.destroy();
  }
}
