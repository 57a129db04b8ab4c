import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { ANALYZE_STATUS, queueHealthHandler, toAnalyzeView } from '../../../functions/api/routes/analyze.js';
import { DependencyUnavailableError } from '../../../shared/domain/errors.js';
import { JOB_STATUSES } from '../../../shared/domain/status.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import type { QueueAdmin, QueueDepth } from '../../../shared/ports/queue-admin.js';
import { queuedJob } from '../../helpers/factories.js';
import { assessPayload } from '../../../functions/jobs/analysis/assessment.js';
import { toJobView } from '../../../functions/api/job-view.js';

const NOW = () => new Date('2026-12-06T10:00:00Z');
const depth = (visible: number, inFlight: number, delayed: number): QueueDepth => ({ visible, inFlight, delayed });

function health(depths: QueueAdmin['depths']) {
  const queues: QueueAdmin = { depths, startRedrive: () => Promise.resolve(), latestRedrive: () => Promise.resolve(undefined) };
  const app = new Hono();
  app.get('/queue/health', queueHealthHandler(queues, silentLogger, NOW));
  return app.request('/queue/health');
}

describe('Function: queueHealthHandler', () => {
  it('reports the analysis queues’ depths as BullMQ-style stats, healthy with an empty DLQ', async () => {
    // Act
    const response = await health(async (type) => {
      expect(type).toBe('analysis');
      return { queue: depth(4, 2, 1), dlq: depth(0, 0, 0) };
    });

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'healthy', stats: { waiting: 5, active: 2, completed: null, failed: 0 }, timestamp: '2026-12-06T10:00:00.000Z' });
  });

  it('is degraded while dead letters wait for an operator', async () => {
    // Act
    const response = await health(async () => ({ queue: depth(0, 0, 0), dlq: depth(3, 0, 0) }));

    // Assess
    expect(await response.json()).toMatchObject({ status: 'degraded', stats: { failed: 3 } });
  });

  it('answers 503 degraded, without stats, when SQS cannot be read', async () => {
    // Act
    const response = await health(() => Promise.reject(new DependencyUnavailableError('sqs', 'down')));

    // Assess
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: 'degraded', stats: null });
  });
});

describe('Function: toAnalyzeView', () => {
  it('maps every Conveyor status to one of BullMQ’s four', () => {
    expect(JOB_STATUSES).toEqual(['QUEUED', 'RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED', 'EXPIRED']);
    expect(JOB_STATUSES.map((s) => ANALYZE_STATUS[s])).toEqual(['waiting', 'active', 'waiting', 'completed', 'failed', 'failed', 'failed', 'failed']);
  });

  it('shows the assessment only once completed, and the reason of a failure', () => {
    // Prepare
    const analysis = { strengths: ['s'], limitations: ['l'], useCases: ['u'], maturityScore: 0.5 };
    const done = queuedJob({ status: 'SUCCEEDED', progress: 100, result: { toolId: 't-1', domain: 'example.com', analysis } });
    const failed = queuedJob({ status: 'DEAD', error: { code: 'TIMEOUT', message: 'took too long' } });

    // Act / Assess
    expect(toAnalyzeView(done)).toEqual({ jobId: done.jobId, status: 'completed', progress: 100, result: { toolId: 't-1', analysis: { strengths: ['s'], limitations: ['l'], useCases: ['u'], maturityScore: 0.5 } }, jobUrl: `/v1/jobs/${done.jobId}` });
    expect(toAnalyzeView(failed)).toMatchObject({ status: 'failed', result: null, failedReason: 'TIMEOUT: took too long' });
    expect(toAnalyzeView(queuedJob())).toMatchObject({ status: 'waiting', progress: 0, result: null });
    // A job that waited past its ttlSeconds never ran: failed, with the reason.
    expect(toAnalyzeView(queuedJob({ status: 'EXPIRED', error: { code: 'EXPIRED', message: 'not started by 2026-12-06T08:00:00.000Z' } }))).toMatchObject({ status: 'failed', result: null, failedReason: 'EXPIRED: not started by 2026-12-06T08:00:00.000Z' });
  });

  it('computes the rules’ assessment from the payload when the job stored none', () => {
    // Prepare: a finished job whose result has no `analysis` (the rules' is never stored)
    const done = queuedJob({ status: 'SUCCEEDED', progress: 100, payload: { toolId: 'replit', url: 'https://replit.com', description: 'Browser-based IDE' }, result: { toolId: 'replit', domain: 'replit.com' } });

    // Act
    const view = toAnalyzeView(done);

    // Assess
    expect(view.result).toEqual({ toolId: 'replit', analysis: assessPayload({ url: 'https://replit.com', description: 'Browser-based IDE' }) });
    expect(toJobView(done).result).toMatchObject({ domain: 'replit.com', analysis: { strengths: ['no local setup'] } });
  });
});
