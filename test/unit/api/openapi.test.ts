import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { createApiApp, type ApiDeps } from '../../../functions/api/app.js';
import { buildOpenApiDocument, DOCUMENTED_ROUTES } from '../../../functions/api/openapi.js';
import { JOB_TYPES } from '../../../shared/jobs/registry.js';
import { generatedTypesText, openApiText } from '../../../scripts/openapi.js';

const committed = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

describe('OpenAPI: the contract generated from the zod schemas', () => {
  it('is committed as openapi.json, up to date (npm run openapi regenerates it)', () => {
    // Act
    const generated = openApiText();

    // Assess
    expect(committed('openapi.json') === generated, 'openapi.json is stale: run `npm run openapi` and commit it').toBe(true);
  });

  it("and so are the third-party generator's types (examples/openapi-fetch/schema.d.ts)", async () => {
    // Act
    const generated = await generatedTypesText();

    // Assess
    expect(committed('examples/openapi-fetch/schema.d.ts') === generated, 'schema.d.ts is stale: run `npm run openapi` and commit it').toBe(true);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    // Prepare
    const validator = new Validator();

    // Act
    const result = await validator.validate(buildOpenApiDocument() as unknown as Parameters<Validator['validate']>[0]);

    // Assess
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it("documents exactly the app's routes, each with its error statuses", () => {
    // Prepare: the app with every optional part, as the API Lambda builds it
    const stub = {} as never;
    const app = createApiApp({ jobs: stub, keys: stub, logger: stub, stage: 'test', enqueueLimit: stub, batch: stub, admin: stub, downloads: stub, notifications: stub } as ApiDeps);
    const openApiPath = (path: string) => path.replace('/v1/:op{jobs:batch}', '/v1/jobs:batch').replace(/\/:(\w+)/g, '/{$1}').replace(/\/$/, '');
    const served = app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`);
    const document = buildOpenApiDocument();

    // Assess
    expect([...new Set(served)].sort()).toEqual(DOCUMENTED_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations as Record<string, { responses: Record<string, unknown>; security?: unknown[] }>)) {
        const statuses = Object.keys(operation.responses);
        expect(statuses, `${method} ${path}`).toContain('500');
        if (!operation.security) expect(statuses, `${method} ${path}`).toContain('401');
      }
    }
  });

  it('describes the enqueue body as a union of the registered job types, each with its payload schema', () => {
    // Act
    const schemas = buildOpenApiDocument().components.schemas as Record<string, { oneOf?: { properties: { type: { const: string }; payload: unknown } }[] }>;

    // Assess
    const variants = schemas.EnqueueRequest?.oneOf ?? [];
    expect(variants.map((v) => v.properties.type.const).sort()).toEqual([...JOB_TYPES].sort());
    expect(JSON.stringify(variants.find((v) => v.properties.type.const === 'analysis')?.properties.payload)).toContain('"toolId"');
  });
});
