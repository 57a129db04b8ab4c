import type { PayloadOf } from '../../../shared/jobs/registry.js';
import { analysisJob } from '../../../shared/jobs/analysis.js';
import type { ModelUsage, TextModel } from '../../../shared/ports/text-model.js';
import type { JobHandler } from '../../worker/context.js';
import { parseBriefing } from '../ai/prompts.js';
import { jsonBytes, PAYLOAD_INLINE_BYTES } from '../../job-data/job-data.js';
import { defineHandler } from '../define-handler.js';
import { categoryOf, countSentences, domainOf, sentimentOf, tokenize, topKeywords, WORDS_PER_MINUTE, type AnalysisResult } from './analyze.js';
import { assess, type Assessment } from './assessment.js';

export interface AnalysisHandlerDeps {
  /** Set when the stage turns AI analysis on: the model then writes strengths, limitations and use cases. */
  readonly model?: TextModel;
}

export type AnalysisJobResult = AnalysisResult & {
  /**
   * With AI analysis on: the model's lists, the rules' score, and the model with its token usage.
   * Otherwise the rules' assessment, computed from the payload when shown (assessment.ts) — and stored
   * here only when the payload is stored apart, since the API then has no payload to compute it from.
   */
  readonly analysis?: Assessment & { readonly model?: { readonly provider: 'bedrock' | 'local'; readonly modelId: string; readonly usage: ModelUsage } };
};

/** The analysis job: deterministic text analysis of a tool description, reporting progress per step. */
export function createAnalysisHandler(deps: AnalysisHandlerDeps = {}): JobHandler<PayloadOf<'analysis'>, AnalysisJobResult> {
  return async (payload, context) => {
    const text = payload.description ?? '';
    const words = tokenize(text);
    const counts = { characters: text.length, words: words.length, sentences: countSentences(text), uniqueWords: new Set(words).size };
    await context.progress(25, 'counted words and sentences');
    const keywords = topKeywords(words);
    await context.progress(50, 'extracted keywords');
    const sentiment = sentimentOf(words);
    await context.progress(75, 'scored sentiment');
    const category = categoryOf(words);
    await context.progress(90, 'detected category');
    let analysis: AnalysisJobResult['analysis'];
    if (deps.model) {
      const rules = assess(payload.description, payload.url, { category, sentiment, words });
      // The rules' lists are the draft the model revises; its reply keeps the same three sections.
      const reply = await deps.model.generate(
        {
          system: 'You assess software tools for a directory. Answer only with three sections, "## Strengths", "## Limitations" and "## Use cases", each a list of short "- " bullets of two to four words.',
          messages: [{ role: 'user', text: assessmentPrompt(payload, rules) }],
          maxTokens: 600,
          temperature: 0.2,
        },
        { signal: context.signal },
      );
      const lists = listsOf(reply.text);
      analysis = {
        strengths: lists.strengths ?? rules.strengths,
        limitations: lists.limitations ?? rules.limitations,
        useCases: lists.useCases ?? rules.useCases,
        maturityScore: rules.maturityScore,
        model: { provider: deps.model.provider, modelId: deps.model.modelId, usage: reply.usage },
      };
    } else if (jsonBytes(payload) > PAYLOAD_INLINE_BYTES) {
      // The record holds only a reference to this payload (functions/job-data/): the API's views
      // cannot compute the assessment when shown, so it is stored (a few hundred bytes in place of kilobytes).
      analysis = assess(payload.description, payload.url, { category, sentiment, words });
    }
    return {
      toolId: payload.toolId,
      domain: domainOf(payload.url),
      counts,
      readingTimeSeconds: Math.ceil((words.length / WORDS_PER_MINUTE) * 60),
      keywords,
      sentiment,
      category,
      ...(analysis ? { analysis } : {}),
    };
  };
}

/** The handler without a model (the default): every list from the rules. */
export const analysisHandler = createAnalysisHandler();

function assessmentPrompt(payload: PayloadOf<'analysis'>, draft: Assessment): string {
  const section = (heading: string, items: readonly string[]) => [`## ${heading}`, ...items.map((i) => `- ${i}`)].join('\n');
  return [
    `Tool: ${payload.toolId} (${payload.url})`,
    `Description: ${payload.description ? payload.description.replace(/\s+/g, ' ') : '(none given)'}`,
    'Revise this draft assessment; keep what is right, fix what is wrong, add what is missing:',
    section('Strengths', draft.strengths),
    section('Limitations', draft.limitations),
    section('Use cases', draft.useCases),
  ].join('\n');
}

function listsOf(text: string): Partial<Record<'strengths' | 'limitations' | 'useCases', string[]>> {
  const lists: Partial<Record<'strengths' | 'limitations' | 'useCases', string[]>> = {};
  for (const { heading, bullets } of parseBriefing(text).sections) {
    const key = /strength/i.test(heading) ? 'strengths' : /limitation|weakness/i.test(heading) ? 'limitations' : /use/i.test(heading) ? 'useCases' : undefined;
    if (key && bullets.length > 0) lists[key] = [...bullets];
  }
  return lists;
}

/** The handler module: the model only when the stage turns AI analysis on (otherwise the rules alone). */
export default defineHandler(analysisJob, ({ optional }) => createAnalysisHandler(optional.model ? { model: optional.model.model } : {}));
