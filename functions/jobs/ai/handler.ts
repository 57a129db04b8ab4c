import { DependencyUnavailableError, PermanentJobError, RetryableJobError } from '../../../shared/domain/errors.js';
import { aiJob, type AiPayload } from '../../../shared/jobs/ai.js';
import type { RateLimiter, RateRule } from '../../../shared/ports/rate-limiter.js';
import type { ModelReply, ModelUsage, TextModel } from '../../../shared/ports/text-model.js';
import type { JobContext, JobHandler } from '../../worker/context.js';
import { defineHandler } from '../define-handler.js';
import { detectAnomalies, type AnomalyResult } from './anomaly.js';
import { holtForecast, type ForecastResult } from './forecast.js';
import { briefingRequest, insightRequest, parseBriefing, parseInsights, type BriefingSection, type Insight } from './prompts.js';

export interface AiHandlerDeps {
  readonly model: TextModel;
  /** The shared limiter (Upstash); chat replies take one unit per tenant. */
  readonly limiter: RateLimiter;
  readonly chatLimit: RateRule;
  readonly now?: () => Date;
}

/** What every model task records: which model answered, why it stopped, and the tokens it used. */
export interface ModelFacts {
  readonly model: { readonly provider: 'bedrock' | 'local'; readonly modelId: string };
  readonly stopReason: string;
  readonly usage: ModelUsage;
}

export type AiResult =
  | ({ task: 'daily-briefing'; date: string; text: string; summary: string; sections: BriefingSection[] } & ModelFacts)
  | ({ task: 'insight-generation'; insights: Insight[] } & ModelFacts)
  | ({ task: 'chat-response'; message: { role: 'assistant'; content: string } } & ModelFacts)
  | ({ task: 'demand-forecast' } & ForecastResult)
  | ({ task: 'anomaly-detection' } & AnomalyResult);

/**
 * The `ai` job: five tasks on one queue. The model tasks build a prompt, call the TextModel (whose
 * errors are already retryable or permanent job errors) and parse its outline; the numerical tasks
 * are computed here and never call a model.
 */
export function createAiHandler(deps: AiHandlerDeps): JobHandler<AiPayload, AiResult> {
  const now = deps.now ?? (() => new Date());
  const facts = (reply: ModelReply): ModelFacts => ({ model: { provider: deps.model.provider, modelId: deps.model.modelId }, stopReason: reply.stopReason, usage: reply.usage });

  return async (payload, context) => {
    switch (payload.task) {
      case 'demand-forecast':
        return { task: payload.task, ...holtForecast(payload.series, payload.horizon, payload.interval) };
      case 'anomaly-detection':
        return { task: payload.task, ...detectAnomalies(payload.series, payload.threshold) };
      case 'daily-briefing': {
        const date = payload.date ?? now().toISOString().slice(0, 10);
        await context.progress(10, 'asking the model');
        const reply = await deps.model.generate(briefingRequest(payload, date), { signal: context.signal });
        await context.progress(90, 'reading the briefing');
        const { summary, sections } = parseBriefing(reply.text);
        return { task: payload.task, date, text: reply.text, summary, sections, ...facts(reply) };
      }
      case 'insight-generation': {
        await context.progress(10, 'asking the model');
        const reply = await deps.model.generate(insightRequest(payload), { signal: context.signal });
        const insights = parseInsights(reply.text, payload.limit);
        if (insights.length === 0) throw new PermanentJobError(`the model's reply held no list of insights (stopReason ${reply.stopReason})`, 'MODEL_UNPARSEABLE');
        return { task: payload.task, insights, ...facts(reply) };
      }
      case 'chat-response': {
        await takeChatBudget(deps, context);
        const reply = await deps.model.generate(
          {
            ...(payload.system ? { system: payload.system } : {}),
            messages: payload.messages.map((m) => ({ role: m.role, text: m.content })),
            maxTokens: payload.maxTokens,
          },
          { signal: context.signal },
        );
        return { task: payload.task, message: { role: 'assistant', content: reply.text }, ...facts(reply) };
      }
    }
  };
}

/**
 * One chat reply from the tenant's budget. Over it, the job is retried with backoff (a retryable
 * failure); the limiter being down lets the reply through — a limiter must not stop the queue.
 */
async function takeChatBudget(deps: AiHandlerDeps, context: JobContext): Promise<void> {
  if (!deps.limiter.enabled) return;
  try {
    const decision = await deps.limiter.take(`ai:chat:tenant:${context.tenant}`, deps.chatLimit);
    if (decision.allowed) return;
    throw new RetryableJobError(
      `tenant "${context.tenant}" may get ${deps.chatLimit.limit} chat replies per ${deps.chatLimit.windowSeconds} s; retrying after backoff (room again in ${Math.ceil(decision.retryAfterMs / 1000)} s)`,
      'RATE_LIMITED',
    );
  } catch (error) {
    if (!(error instanceof DependencyUnavailableError)) throw error;
    context.logger.warn('chat rate limiter unavailable; replying anyway', { error });
  }
}

/** The handler module: the stage's model, its chat budget, and the shared limiter. */
export default defineHandler(aiJob, ({ model, limiter }) => createAiHandler({ model: model.model, chatLimit: model.chatLimit, limiter }));
