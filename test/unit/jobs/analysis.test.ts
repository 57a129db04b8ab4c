import { describe, expect, it, vi } from 'vitest';
import { analysisHandler } from '../../../functions/jobs/analysis/handler.js';
import { categoryOf, countSentences, sentimentOf, tokenize, topKeywords } from '../../../functions/jobs/analysis/analyze.js';
import type { JobContext } from '../../../functions/worker/context.js';
import { silentLogger } from '../../../shared/logging/logger.js';

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
