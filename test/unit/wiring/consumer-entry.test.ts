import { describe, expect, it } from 'vitest';
import { consumerEntrySource } from '../../../infra/consumer-entry.js';
import { jobHandlers } from '../../../functions/jobs/index.js';
import { emailJob } from '../../../shared/jobs/email.js';
import { jobDefinitions, jobRegistry } from '../../../shared/jobs/registry.js';
import { pdfJob } from '../../../shared/jobs/pdf.js';
import { analysisJob } from '../../../shared/jobs/analysis.js';
import { aiJob } from '../../../shared/jobs/ai.js';
import { notificationJob } from '../../../shared/jobs/notification.js';

describe('Function: consumerEntrySource', () => {
  it.each(jobDefinitions.map((d) => [d.type]))('imports the very module the handler map holds for %s', async (type) => {
    // Prepare: the module the generated entry imports, by its path
    const module = (await import(`../../../functions/jobs/${type}/handler.ts`)) as { default: unknown };

    // Act
    const source = consumerEntrySource(jobRegistry[type as keyof typeof jobRegistry]);

    // Assess: the same object the map checks against the registry, and its definition
    expect(source).toContain(`import handlerModule from "../../functions/jobs/${type}/handler.js";`);
    expect(module.default).toBe(jobHandlers[type as keyof typeof jobHandlers]);
    expect(jobHandlers[type as keyof typeof jobHandlers].definition).toBe(jobRegistry[type as keyof typeof jobRegistry]);
  });

  it('imports the ports of the declared capabilities only, and the rate limiter only for a limited provider', () => {
    // Act
    const analysis = consumerEntrySource(analysisJob);
    const email = consumerEntrySource(emailJob);
    const pdf = consumerEntrySource(pdfJob);

    // Assess
    expect(analysis).not.toMatch(/functions\/capabilities|rate-limit/);
    expect(analysis).toContain('capabilities: async () => ({})');
    expect(email).toContain('email: await emailPort(config)');
    expect(email).toContain('loadConsumerRateLimiter');
    expect(pdf).toContain('blobs: await blobsPort(config)');
    expect(pdf).not.toMatch(/emailPort|rate-limit/);
  });

  it('builds the shared-client ports with the consumer\'s clients, and a stage\'s optional model apart from the declared ones', () => {
    // Act
    const notification = consumerEntrySource(notificationJob);
    const ai = consumerEntrySource(aiJob);
    const analysisWithModel = consumerEntrySource(analysisJob, { optionalUses: ['model'] });

    // Assess
    expect(notification).toContain('capabilities: async (clients, logger) => ({ enqueue: await enqueuePort(config, clients, logger), inbox: await inboxPort(config, clients, logger) })');
    expect(ai).toContain('model: await modelPort(config)');
    expect(ai).toContain('loadLimiter: loadConsumerRateLimiter');
    expect(analysisWithModel).toContain('capabilities: async () => ({})');
    expect(analysisWithModel).toContain('optional: async () => ({ model: await modelPort(config) })');
    expect(analysisWithModel).not.toContain('rate-limit');
  });
});
