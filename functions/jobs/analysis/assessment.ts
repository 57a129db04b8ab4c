import { categoryOf, sentimentOf, tokenize, type AnalysisResult } from './analyze.js';

/**
 * The AltStackFast analysis: strengths, limitations, use cases (short labels) and a maturity score
 * in 0–1, derived deterministically from the description's words and the URL, so the same request
 * always gets the same answer. Being a pure function of the payload, it is computed where it is
 * shown (`assessPayload`, by the API's views) and not stored: on the job item it would take a typical
 * analysis job past one 1 KB write unit (the bench's job: 1,001 → 1,200 bytes), a second write unit
 * on every job. With AI analysis on, the text model writes the three lists, and those are stored.
 */
export interface Assessment {
  readonly strengths: readonly string[];
  readonly limitations: readonly string[];
  readonly useCases: readonly string[];
  /** 0–1: how established and production-ready the description makes the tool sound. */
  readonly maturityScore: number;
}

/** Cue words → the strength each signals (first match per strength). */
const STRENGTHS: readonly (readonly [RegExp, string])[] = [
  [/^(fast|faster|quick|instant|speed|seconds|performant)$/, 'fast'],
  [/^(reliable|stable|uptime|robust|proven|battle-tested)$/, 'reliable'],
  [/^(simple|easy|intuitive|effortless|no-code|low-code)$/, 'easy to use'],
  [/^(browser-based|browser|online|cloud|hosted|web-based)$/, 'no local setup'],
  [/^(collaborative|collaboration|multiplayer|team|teams|share|sharing)$/, 'collaborative'],
  [/^(open-source|opensource|oss)$/, 'open source'],
  [/^(free|freemium)$/, 'free tier'],
  [/^(secure|security|encryption|encrypted|compliance|soc2|gdpr)$/, 'security focus'],
  [/^(scalable|scale|scales|enterprise)$/, 'scalable'],
  [/^(api|sdk|integrations|integration|integrates|plugins|extensions|webhooks)$/, 'API and integrations'],
  [/^(ai|ai-powered|llm|gpt|copilot|assistant|agent|agents)$/, 'AI-assisted'],
  [/^(real-time|realtime|live|instant)$/, 'real-time'],
];

/** Cue words → the limitation each signals. */
const LIMITATIONS: readonly (readonly [RegExp, string])[] = [
  [/^(beta|alpha|preview|experimental|early-access|waitlist)$/, 'early stage'],
  [/^(paid|subscription|pricing|premium|expensive|enterprise-only)$/, 'paid plans'],
  [/^(limited|limits|quota|quotas|restricted|capped)$/, 'usage limits'],
  [/^(requires|require|dependency|install|installation|download)$/, 'needs installation'],
  [/^(browser-based|browser|online|cloud|hosted|web-based)$/, 'needs a connection'],
  [/^(deprecated|legacy|discontinued|unmaintained|sunset)$/, 'legacy'],
];

/** Use cases by the analysis category, then by cue words. */
const CATEGORY_USE_CASES: Readonly<Record<string, readonly string[]>> = {
  'developer-tools': ['software development'],
  'ai-ml': ['AI features'],
  analytics: ['metrics and reporting'],
  productivity: ['task management'],
  design: ['design'],
  marketing: ['marketing'],
  security: ['security'],
  finance: ['payments and accounting'],
  communication: ['communication'],
  education: ['education'],
};

const CUE_USE_CASES: readonly (readonly [RegExp, string])[] = [
  [/^(ide|editor|code|coding|programming)$/, 'coding without local setup'],
  [/^(prototype|prototyping|prototypes|hackathon|mvp)$/, 'prototyping'],
  [/^(learn|learning|students|teaching|education|course|courses)$/, 'teaching programming'],
  [/^(deploy|deployment|hosting|host)$/, 'deploying apps'],
  [/^(collaborative|collaboration|multiplayer|pair|pairing)$/, 'pair programming'],
  [/^(api|sdk|integrations|integration|webhooks)$/, 'integrations'],
  [/^(automation|automate|workflow|workflows)$/, 'automation'],
];

export function assess(description: string | undefined, url: string, base: Pick<AnalysisResult, 'category' | 'sentiment'> & { words: readonly string[] }): Assessment {
  const words = new Set(base.words);
  const pick = (table: readonly (readonly [RegExp, string])[]) => [...new Set(table.filter(([cue]) => [...words].some((w) => cue.test(w))).map(([, label]) => label))];
  const strengths = pick(STRENGTHS);
  const limitations = pick(LIMITATIONS);
  if (!description) limitations.push('no description: assessed from the URL alone');
  else if (base.words.length < 8) limitations.push('sparse description');
  const useCases = [...new Set([...(CATEGORY_USE_CASES[base.category.name] ?? []), ...pick(CUE_USE_CASES)])];
  if (useCases.length === 0) useCases.push('general use');
  return { strengths, limitations, useCases, maturityScore: maturityOf(description, url, strengths.length, limitations, base.sentiment.comparative) };
}

/**
 * 0.4, plus 0.05 per strength (at most 0.25), minus 0.15 for an early-stage or legacy cue and 0.05 for
 * each other limitation, plus up to 0.1 for a longer description (40 words or more), 0.05 for HTTPS
 * and up to ±0.05 from the description's sentiment; clamped to 0–1, two decimals.
 */
function maturityOf(description: string | undefined, url: string, strengths: number, limitations: readonly string[], sentiment: number): number {
  let score = 0.4 + Math.min(0.25, 0.05 * strengths);
  for (const limitation of limitations) score -= limitation === 'early stage' || limitation === 'legacy' ? 0.15 : 0.05;
  const wordCount = description ? description.split(/\s+/).filter(Boolean).length : 0;
  score += Math.min(0.1, (wordCount / 40) * 0.1);
  if (url.startsWith('https://')) score += 0.05;
  score += Math.max(-0.05, Math.min(0.05, sentiment));
  return Math.round(Math.max(0, Math.min(1, score)) * 100) / 100;
}

/** The assessment of an analysis payload (what `GET /v1/analyze/{id}` shows when no model wrote one). */
export function assessPayload(payload: { readonly url: string; readonly description?: string | undefined }): Assessment {
  const words = tokenize(payload.description ?? '');
  return assess(payload.description, payload.url, { category: categoryOf(words), sentiment: sentimentOf(words), words });
}
