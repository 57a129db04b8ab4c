import { request as httpRequest, type Agent, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { resolveDeliverable, type AddressPolicy, type Resolver } from './address-policy.js';
import { SIGNATURE_HEADER, sign } from './signature.js';
import type { WebhookErrorClass } from '../../shared/domain/webhook-log.js';

/** What the webhook consumer gets from the queue: one POST to make. */
export interface WebhookDelivery {
  readonly jobId: string;
  readonly tenant: string;
  readonly callbackUrl: string;
  /** The JSON body, fixed at the terminal transition so every retry sends the same bytes. */
  readonly body: string;
  /** The `finishedAt` of the ending announced: which webhook log the attempts go to (the body says it too). */
  readonly finishedAt?: string;
  /** The job's correlation id: an SQS message attribute, not part of the body (shared/domain/correlation.ts). */
  readonly correlationId?: string;
}

export type DeliveryResult =
  | { readonly ok: true; readonly status: number }
  /** `retry`: worth trying again later (network error, 408, 429, 5xx); otherwise give up. */
  | { readonly ok: false; readonly retry: boolean; readonly reason: string; readonly status?: number; readonly error?: DeliveryErrorClass };

/** Why a POST got no HTTP answer, as the job's webhook log shows it. */
export type DeliveryErrorClass = WebhookErrorClass;

/** Node's error codes by class; anything else is `network`. */
export function errorClassOf(error: unknown): DeliveryErrorClass {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT' || (error instanceof Error && error.name === 'DeliveryTimeoutError')) return 'timeout';
  if (code === 'ECONNREFUSED') return 'connection-refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'dns';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'reset';
  if (typeof code === 'string' && (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT'))) return 'tls';
  return 'network';
}

export interface DeliverOptions {
  readonly secret: string;
  readonly policy: AddressPolicy;
  readonly timeoutMs?: number;
  readonly now?: () => number;
  /** Resolves the callback's host (the system resolver by default). */
  readonly resolve?: Resolver;
  /** The HTTP(S) agent that opens connections (Node's global agent by default). */
  readonly agent?: Agent;
}

/** POSTs one signed delivery to the address checked by the policy (the connection goes to that IP). */
export async function deliver(delivery: WebhookDelivery, options: DeliverOptions): Promise<DeliveryResult> {
  let target: { address: string; family: 4 | 6 };
  try {
    target = await resolveDeliverable(delivery.callbackUrl, options.policy, options.resolve);
  } catch (error) {
    // A refused or unresolvable address does not get better by retrying within minutes… except DNS
    // outages; a name that does not resolve is retried, a private address is not.
    const refused = error instanceof Error && error.name === 'WebhookAddressError' && !/does not resolve/.test(error.message);
    return { ok: false, retry: !refused, reason: error instanceof Error ? error.message : String(error), error: refused ? 'address-refused' : 'dns' };
  }
  const url = new URL(delivery.callbackUrl);
  const timestamp = Math.floor((options.now ?? Date.now)() / 1000);
  // The connection's own lookup answers with the address just checked: the host is resolved once.
  const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const requestOptions: RequestOptions = {
    method: 'POST',
    lookup: pinned,
    ...(options.agent ? { agent: options.agent } : {}),
    timeout: options.timeoutMs ?? 5_000,
    headers: {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(delivery.body),
      'user-agent': 'Conveyor-Webhooks/1',
      'conveyor-job-id': delivery.jobId,
      [SIGNATURE_HEADER]: sign(options.secret, delivery.body, timestamp),
    },
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<DeliveryResult>((resolve) => {
    const req = send(url, requestOptions, (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      if (status >= 200 && status < 300) resolve({ ok: true, status });
      else resolve({ ok: false, retry: status === 408 || status === 429 || status >= 500, reason: `receiver answered ${status}`, status });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer in ${options.timeoutMs ?? 5_000} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', (error) => resolve({ ok: false, retry: true, reason: error.message, error: errorClassOf(error) }));
    req.end(delivery.body);
  });
}
