import type { AnalysisResult } from './analyze.js';

/**
 * The AltStackFast analysis: strengths, limitations, use cases and a maturity score in 0–1, derived
 * deterministically from the description's words (and the URL), so the same request always gets the
 * same answer. With AI analysis on, the text model writes the three lists instead (ai-assessment.ts)
 * and the score stays this one.
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
  [/^(fast|faster|quick|instant|speed|seconds|performant)$/, 'Speed: described as fast'],
  [/^(reliable|stable|uptime|robust|proven|battle-tested)$/, 'Reliability: described as reliable or proven'],
  [/^(simple|easy|intuitive|effortless|no-code|low-code)$/, 'Ease of use: described as simple to use'],
  [/^(browser-based|browser|online|cloud|hosted|web-based)$/, 'No local set-up: runs in the browser or the cloud'],
  [/^(collaborative|collaboration|multiplayer|team|teams|share|sharing)$/, 'Collaboration: built for teams working together'],
  [/^(open-source|opensource|oss)$/, 'Open source: code can be inspected and self-hosted'],
  [/^(free|freemium)$/, 'Free tier: can be tried at no cost'],
  [/^(secure|security|encryption|encrypted|compliance|soc2|gdpr)$/, 'Security: mentions security or compliance'],
  [/^(scalable|scale|scales|enterprise)$/, 'Scale: aimed at growing or enterprise workloads'],
  [/^(api|sdk|integrations|integration|integrates|plugins|extensions|webhooks)$/, 'Extensible: offers an API, SDK or integrations'],
  [/^(ai|ai-powered|llm|gpt|copilot|assistant|agent|agents)$/, 'AI assistance built in'],
  [/^(real-time|realtime|live|instant)$/, 'Real-time: updates as you work'],
];

/** Cue words → the limitation each signals. */
const LIMITATIONS: readonly (readonly [RegExp, string])[] = [
  [/^(beta|alpha|preview|experimental|early-access|waitlist)$/, 'Early stage: described as beta, preview or experimental'],
  [/^(paid|subscription|pricing|premium|expensive|enterprise-only)$/, 'Cost: paid plans are mentioned'],
  [/^(limited|limits|quota|quotas|restricted|capped)$/, 'Limits: usage limits or restrictions are mentioned'],
  [/^(requires|require|dependency|install|installation|download)$/, 'Set-up: needs something installed or required first'],
  [/^(browser-based|browser|online|cloud|hosted|web-based)$/, 'Needs a connection: depends on a hosted service'],
  [/^(deprecated|legacy|discontinued|unmaintained|sunset)$/, 'Maintenance: described as legacy or deprecated'],
];

/** Use cases by the analysis category, then by cue words. */
const CATEGORY_USE_CASES: Readonly<Record<string, readonly string[]>> = {
  'developer-tools': ['Writing, running and shipping code'],
  'ai-ml': ['Adding AI features to products or workflows'],
  analytics: ['Tracking metrics and reporting'],
  productivity: ['Organising work and tasks'],
  design: ['Designing interfaces and graphics'],
  marketing: ['Reaching and growing an audience'],
  security: ['Protecting accounts and data'],
  finance: ['Handling payments and accounting'],
  communication: ['Team and customer communication'],
  education: ['Learning and teaching'],
};

const CUE_USE_CASES: readonly (readonly [RegExp, string])[] = [
  [/^(ide|editor|code|coding|programming)$/, 'Coding without a local development environment'],
  [/^(prototype|prototyping|prototypes|hackathon|mvp)$/, 'Prototyping and quick experiments'],
  [/^(learn|learning|students|teaching|education|course|courses)$/, 'Teaching and learning to program'],
  [/^(deploy|deployment|hosting|host)$/, 'Deploying and hosting applications'],
  [/^(collaborative|collaboration|multiplayer|pair|pairing)$/, 'Pair programming and team collaboration'],
  [/^(api|sdk|integrations|integration|webhooks)$/, 'Integrating with existing systems'],
  [/^(automation|automate|workflow|workflows)$/, 'Automating repetitive work'],
];

export function assess(description: string | undefined, url: string, base: Pick<AnalysisResult, 'category' | 'sentiment'> & { words: readonly string[] }): Assessment {
  const words = new Set(base.words);
  const pick = (table: readonly (readonly [RegExp, string])[]) => [...new Set(table.filter(([cue]) => [...words].some((w) => cue.test(w))).map(([, label]) => label))];
  const strengths = pick(STRENGTHS);
  const limitations = pick(LIMITATIONS);
  if (!description) limitations.push('No description given: assessed from the URL alone');
  else if (base.words.length < 8) limitations.push('Sparse description: little to assess');
  const useCases = [...new Set([...(CATEGORY_USE_CASES[base.category.name] ?? []), ...pick(CUE_USE_CASES)])];
  if (useCases.length === 0) useCases.push('General use (no specific use case described)');
  return { strengths, limitations, useCases, maturityScore: maturityOf(description, url, strengths.length, limitations, base.sentiment.comparative) };
}

/**
 * 0.4, plus 0.05 per strength (at most 0.25), minus 0.15 for an early-stage or legacy cue and 0.05 for
 * each other limitation, plus up to 0.1 for a longer description (40 words or more), 0.05 for HTTPS
 * and up to ±0.05 from the description's sentiment; clamped to 0–1, two decimals.
 */
function maturityOf(description: string | undefined, url: string, strengths: number, limitations: readonly string[], sentiment: number): number {
  let score = 0.4 + Math.min(0.25, 0.05 * strengths);
  for (const limitation of limitations) score -= /^(Early stage|Maintenance)/.test(limitation) ? 0.15 : 0.05;
  const wordCount = description ? description.split(/\s+/).filter(Boolean).length : 0;
  score += Math.min(0.1, (wordCount / 40) * 0.1);
  if (url.startsWith('https://')) score += 0.05;
  score += Math.max(-0.05, Math.min(0.05, sentiment));
  return Math.round(Math.max(0, Math.min(1, score)) * 100) / 100;
}
