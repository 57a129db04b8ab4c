import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

/**
 * Checks an API response against the committed OpenAPI document (openapi.json): its status must be
 * documented for the operation, and its body must match that status's schema. The local-cloud
 * helper runs every e2e request through it, and the client tests pass `contractFetch` to the client,
 * so a response the document does not describe fails the test that received it.
 */
interface Document {
  readonly paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
}

const DOCUMENT_URL = new URL('../../openapi.json', import.meta.url);
const document = JSON.parse(readFileSync(DOCUMENT_URL, 'utf8')) as Document;

// ajv-formats is CommonJS; its default export arrives wrapped under ES module interop.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => void;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
// The whole document as one schema resource, so the components' `#/components/schemas/…` refs resolve.
ajv.addSchema(document, 'openapi.json');

/** Templates first by specificity: `/v1/jobs:batch` and `/v1/openapi.json` before `/v1/jobs/{jobId}`. */
const routes = Object.keys(document.paths)
  .map((template) => ({ template, pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`), params: (template.match(/\{/g) ?? []).length }))
  .sort((a, b) => a.params - b.params);

const validators = new Map<string, ValidateFunction>();
function validatorFor(pointer: string): ValidateFunction {
  let validate = validators.get(pointer);
  if (!validate) {
    validate = ajv.getSchema(`openapi.json#${pointer}`);
    if (!validate) throw new Error(`openapi.json has no schema at ${pointer}`);
    validators.set(pointer, validate);
  }
  return validate;
}

const escape = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/** Throws, naming the operation and what differs, unless the response matches the document. */
export function assertMatchesContract(method: string, url: string, status: number, body: unknown): void {
  const path = new URL(url, 'http://contract').pathname;
  const route = routes.find((r) => r.pattern.test(path));
  const operation = route ? document.paths[route.template]?.[method.toLowerCase()] : undefined;
  if (!route || !operation) {
    // Not an API operation: the app answers 404 with the error body for any unknown route.
    if (status !== 404) throw new Error(`contract: ${method} ${path} is not in openapi.json, yet answered ${status}`);
    check('/components/schemas/Error', body, `${method} ${path} → 404`);
    return;
  }
  const response = operation.responses[String(status)];
  if (!response) throw new Error(`contract: ${method} ${route.template} answered ${status}, which openapi.json does not list (${Object.keys(operation.responses).join(', ')})`);
  if (!response.content) return;
  check(`/paths/${escape(route.template)}/${method.toLowerCase()}/responses/${status}/content/application~1json/schema`, body, `${method} ${route.template} → ${status}`);
}

function check(pointer: string, body: unknown, what: string): void {
  const validate = validatorFor(pointer);
  if (!validate(body)) {
    const errors = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '(body)'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
    throw new Error(`contract: ${what} does not match openapi.json: ${errors.join('; ')}\nbody: ${JSON.stringify(body).slice(0, 500)}`);
  }
}

/** A fetch that checks every response of the API against the document (for the client's `fetch` option). */
export const contractFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  const text = await response.clone().text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: checked as text, which no documented JSON body matches
  }
  const url = input instanceof Request ? input.url : String(input);
  assertMatchesContract(init?.method ?? (input instanceof Request ? input.method : 'GET'), url, response.status, body);
  return response;
};
