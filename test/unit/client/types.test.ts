import { describe, expectTypeOf, it } from 'vitest';
import { createClient, type Job, type JobId, type JobType } from 'conveyor/client';
import type { AnalysisJobResult } from '../../../functions/jobs/analysis/handler.js';
import type { EmailResult } from '../../../functions/jobs/email/handler.js';
import { generatedClient } from '../../../examples/openapi-fetch/client.js';
import type * as z from 'zod';
import type { webhookViewSchema } from '../../../functions/api/contract.js';

/**
 * Compile-time checks of the typed client, verified by `npm run typecheck` (tsc reads this file):
 * a wrong payload or an unknown type is a type error, results and views are typed by the job type.
 * Nothing is sent: the functions below are never called.
 */
const conveyor = createClient({ endpoint: 'http://localhost:3000', apiKey: 'cvk_local_dev' });

async function _wrongPayloadsDoNotCompile(): Promise<void> {
  // @ts-expect-error an unknown job type
  await conveyor.enqueue('fax', { to: '+1 555' });
  // @ts-expect-error analysis needs toolId, url and description
  await conveyor.enqueue('analysis', { toolId: 't-1' });
  // @ts-expect-error an email's recipients are an array
  await conveyor.enqueue('email', { template: 'welcome', to: 'a@example.com', data: { name: 'A', loginUrl: 'https://example.com' } });
  // @ts-expect-error the welcome template's data has no resetUrl
  await conveyor.enqueue('email', { template: 'welcome', to: ['a@example.com'], data: { name: 'A', resetUrl: 'https://example.com' } });
  // @ts-expect-error a batch job of an unknown type
  await conveyor.enqueueBatch([{ type: 'fax', payload: {} }]);
  // The client openapi-typescript generated from openapi.json is typed by the same schemas:
  const generated = generatedClient('http://localhost:3000', 'cvk_local_dev');
  // @ts-expect-error "fax" is not a job type in openapi.json
  await generated.POST('/v1/jobs', { body: { type: 'fax', payload: {} } });
  // @ts-expect-error analysis payloads need a url
  await generated.POST('/v1/jobs', { body: { type: 'analysis', payload: { toolId: 't', description: 'd' } } });
}

describe('Type: conveyor/client', () => {
  it('types results and job views by the job type remembered in the id', () => {
    expectTypeOf(conveyor.enqueue<'analysis'>).parameter(1).toHaveProperty('url').toEqualTypeOf<string>();
    expectTypeOf<Awaited<ReturnType<typeof conveyor.enqueue<'email'>>>['jobId']>().toEqualTypeOf<JobId<'email'>>();
    expectTypeOf(conveyor.wait<'email'>).returns.resolves.toEqualTypeOf<EmailResult>();
    expectTypeOf(conveyor.wait<'analysis'>).returns.resolves.toEqualTypeOf<AnalysisJobResult>();
    // Absent when stored apart (payloadRef), so optional: narrowed, it is the type's payload.
    expectTypeOf<NonNullable<Job<'analysis'>['payload']>['toolId']>().toEqualTypeOf<string>();
    expectTypeOf<Job['type']>().toEqualTypeOf<JobType>();
    expectTypeOf<'analysis' | 'email' | 'pdf'>().toExtend<JobType>();
    void _wrongPayloadsDoNotCompile;
  });

  it('infers the type of wait from an id enqueue returned', () => {
    const _typed = async () => {
      const { jobId } = await conveyor.enqueue('email', { template: 'welcome', to: ['a@example.com'], data: { name: 'A', loginUrl: 'https://example.com' } });
      const result = await conveyor.wait(jobId);
      expectTypeOf(result).toEqualTypeOf<EmailResult>();
      const job = await conveyor.get(jobId);
      expectTypeOf(job.type).toEqualTypeOf<'email'>();
    };
    void _typed;
  });

  it("types a job's webhook deliveries as the contract documents them, and the webhooks DLQ's answers by its name", () => {
    const _webhookDeadLetters = () => conveyor.admin.deadLetters('webhooks');
    expectTypeOf<Awaited<ReturnType<typeof _webhookDeadLetters>>['type']>().toEqualTypeOf<'webhooks'>();
    const _analysisDeadLetters = () => conveyor.admin.deadLetters('analysis');
    expectTypeOf<Awaited<ReturnType<typeof _analysisDeadLetters>>>().toHaveProperty('deadJobs');
    type Deliveries = NonNullable<Job['webhook']>;
    type Documented = z.infer<typeof webhookViewSchema>;
    expectTypeOf<Deliveries['state']>().toEqualTypeOf<Documented['state']>();
    expectTypeOf<NonNullable<Deliveries['recent'][number]['error']>>().toEqualTypeOf<NonNullable<Documented['recent'][number]['error']>>();
    expectTypeOf<Documented>().toExtend<Deliveries>();
    expectTypeOf<Awaited<ReturnType<typeof _webhookDeadLetters>>['deliveries'][number]['webhook']>().toEqualTypeOf<Deliveries>();
  });
});
