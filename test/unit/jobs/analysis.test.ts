import { describe, expect, it, vi } from 'vitest';
import { LocalTextModel } from '../../../functions/adapters/local-text-model.js';
import { analysisHandler, createAnalysisHandler } from '../../../functions/jobs/analysis/handler.js';
import { assessPayload } from '../../../functions/jobs/analysis/assessment.js';
import { categoryOf, countSentences, sentimentOf, tokenize, topKeywords } from '../../../functions/jobs/analysis/analyze.js';
import type { JobContext } from '../../../functions/worker/context.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import { PAYLOAD_INLINE_BYTES } from '../../../functions/job-data/job-data.js';
import { toJobView } from '../../../functions/api/job-view.js';
import { queuedJob } from '../../helpers/factories.js';

function context(): JobContext & { progress: ReturnType<typeof vi.fn> } {
  return {
    jobId: 'j', tenant: 't', type: 'analysis', attempt: 1, maxAttempts: 3,
    signal: new AbortController().signal, logger: silentLogger,
    progress: vi.fn(async () => undefined),
  };
}

describe('Function: analysisHandler', () => {
  it('analyses a description deterministically and reports progress at each step', async () => {
    // Prepare
    const ctx = context();
    const payload = {
      toolId: 't-42',
      url: 'https://www.example.com/tools/x',
      description: 'A fast API for developers. Deploy code in seconds! Developers love the clean SDK. Not slow at all.',
    };

    // Act
    const first = await analysisHandler(payload, ctx);
    const second = await analysisHandler(payload, context());

    // Assess
    expect(first).toEqual(second);
    expect(first.toolId).toBe('t-42');
    expect(first.domain).toBe('example.com');
    expect(first.counts).toMatchObject({ words: 18, sentences: 4 });
    expect(first.readingTimeSeconds).toBe(5);
    expect(first.keywords[0]).toEqual({ word: 'developers', count: 2 });
    expect(first.sentiment.label).toBe('positive');
    expect(first.category.name).toBe('developer-tools');
    expect(ctx.progress.mock.calls.map((c) => c[0])).toEqual([25, 50, 75, 90]);
  });
});

describe('Module: text analysis', () => {
  it('tokenizes letters of any script and keeps inner apostrophes', () => {
    expect(tokenize("Don't stop — café naïve 42x")).toEqual(["don't", 'stop', 'café', 'naïve', '42x']);
  });

  it('counts sentences ending in . ! ? and ignores empty fragments', () => {
    expect(countSentences('One. Two! Three? ... ')).toBe(3);
  });

  it('breaks keyword ties alphabetically and drops stopwords', () => {
    expect(topKeywords(tokenize('zeta alpha the zeta alpha and beta'), 2)).toEqual([
      { word: 'alpha', count: 2 },
      { word: 'zeta', count: 2 },
    ]);
  });

  it('flips sentiment after a negation', () => {
    expect(sentimentOf(tokenize('not good')).score).toBe(-3);
    expect(sentimentOf(tokenize('terrible and slow')).label).toBe('negative');
    expect(sentimentOf(tokenize('a table')).label).toBe('neutral');
  });

  it('falls back to uncategorized with no matching words', () => {
    expect(categoryOf(tokenize('lorem ipsum dolor'))).toEqual({ name: 'uncategorized', confidence: 0, matches: [] });
  });
});

describe('Function: assessPayload — the analyze API’s assessment', () => {
  it('derives strengths, limitations, use cases and a 0–1 maturity score from the description, the same every time', () => {
    // Prepare
    const payload = { toolId: 'replit', url: 'https://replit.com', description: 'Browser-based IDE' };

    // Act
    const first = assessPayload(payload);
    const second = assessPayload(payload);

    // Assess
    expect(first).toEqual(second);
    expect(first.strengths).toEqual(['no local setup']);
    expect(first.limitations).toEqual(['needs a connection', 'sparse description']);
    expect(first.useCases).toEqual(['software development', 'coding without local setup']);
    expect(first.maturityScore).toBeGreaterThanOrEqual(0);
    expect(first.maturityScore).toBeLessThanOrEqual(1);
  });

  it('works without a description, and says what it could not assess', async () => {
    // Act
    const assessment = assessPayload({ url: 'https://replit.com' });
    const result = await analysisHandler({ toolId: 'replit', url: 'https://replit.com' }, context());

    // Assess
    expect(result.counts.words).toBe(0);
    expect(assessment.limitations).toContain('no description: assessed from the URL alone');
    expect(assessment.useCases).toEqual(['general use']);
    expect(assessment.maturityScore).toBe(0.4);
  });

  it('scores an early-stage tool below an established one', () => {
    // Act
    const beta = assessPayload({ url: 'https://a.example', description: 'An experimental beta preview of a code editor, waitlist only.' });
    const solid = assessPayload({ url: 'https://b.example', description: 'A fast, reliable and secure code editor with an open API, used by teams to deploy scalable apps.' });

    // Assess
    expect(beta.maturityScore).toBeLessThan(solid.maturityScore);
  });

  it('is not stored by the rules-only handler (it is computed when shown)', async () => {
    // Act
    const result = await analysisHandler({ toolId: 'replit', url: 'https://replit.com', description: 'Browser-based IDE' }, context());

    // Assess
    expect(result).not.toHaveProperty('analysis');
  });

  it('stores the rules’ assessment when the payload is too large for the record, so the API still shows it', async () => {
    // Prepare: a description that takes the payload past the inline limit (the record then holds a reference only)
    const payload = { toolId: 'replit', url: 'https://replit.com', description: 'Browser-based IDE for teams. '.repeat(Math.ceil(PAYLOAD_INLINE_BYTES / 20)) };

    // Act
    const result = await analysisHandler(payload, context());
    const view = toJobView(queuedJob({ status: 'SUCCEEDED', payload: undefined, payloadRef: { bytes: JSON.stringify(payload).length, sha256: 'ab'.repeat(32) }, result }));

    // Assess
    expect(JSON.stringify(payload).length).toBeGreaterThan(PAYLOAD_INLINE_BYTES);
    expect((view.result as { analysis?: unknown }).analysis).toEqual(assessPayload(payload));
  });

  it('lets the text model write the lists when AI analysis is on, storing them with the rules’ score, the model and its usage', async () => {
    // Prepare
    const handler = createAnalysisHandler({ model: new LocalTextModel() });
    const payload = { toolId: 'replit', url: 'https://replit.com', description: 'Browser-based IDE' };

    // Act
    const withModel = await handler(payload, context());
    const rules = assessPayload(payload);

    // Assess: the local model echoes the draft, so the lists match the rules'; `model` says who wrote them
    expect(withModel.analysis).toMatchObject({ strengths: rules.strengths, limitations: rules.limitations, useCases: rules.useCases, maturityScore: rules.maturityScore });
    expect(withModel.analysis?.model).toMatchObject({ provider: 'local', modelId: 'conveyor-local-echo', usage: { outputTokens: expect.any(Number) } });
  });
});
