import type { PayloadOf } from '../../../shared/jobs/registry.js';
import { analysisJob } from '../../../shared/jobs/analysis.js';
import type { JobHandler } from '../../worker/context.js';
import { defineHandler } from '../define-handler.js';
import { categoryOf, countSentences, domainOf, sentimentOf, tokenize, topKeywords, WORDS_PER_MINUTE, type AnalysisResult } from './analyze.js';

/** The analysis job: deterministic text analysis of a tool description, reporting progress per step. */
export const analysisHandler: JobHandler<PayloadOf<'analysis'>, AnalysisResult> = async (payload, context) => {
  const text = payload.description;
  const words = tokenize(text);
  const counts = { characters: text.length, words: words.length, sentences: countSentences(text), uniqueWords: new Set(words).size };
  await context.progress(25, 'counted words and sentences');
  const keywords = topKeywords(words);
  await context.progress(50, 'extracted keywords');
  const sentiment = sentimentOf(words);
  await context.progress(75, 'scored sentiment');
  const category = categoryOf(words);
  await context.progress(90, 'detected category');
  return {
    toolId: payload.toolId,
    domain: domainOf(payload.url),
    counts,
    readingTimeSeconds: Math.ceil((words.length / WORDS_PER_MINUTE) * 60),
    keywords,
    sentiment,
    category,
  };
};

/** No ports: the analysis is pure computation. */
export default defineHandler(analysisJob, () => analysisHandler);
