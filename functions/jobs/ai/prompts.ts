import type { AiPayload } from '../../../shared/jobs/ai.js';
import type { ModelRequest } from '../../../shared/ports/text-model.js';

type Briefing = Extract<AiPayload, { task: 'daily-briefing' }>;
type Insights = Extract<AiPayload, { task: 'insight-generation' }>;

/*
 * Prompts and parsers of the model tasks. Each prompt carries its input as an outline (`## ` headings,
 * `- ` items) prepared here deterministically — grouped, ordered, with changes computed — and asks
 * the model to answer in the same plain outline, which the parsers read back. The local model echoes
 * that outline, so the whole path runs, deterministically, without a model.
 */

const PRIORITY_ORDER = { high: 0, normal: 1, low: 2 } as const;

export function briefingRequest(payload: Briefing, today: string): ModelRequest {
  const date = payload.date ?? today;
  const byCategory = new Map<string, Briefing['items'][number][]>();
  for (const item of payload.items) {
    const category = item.category ?? 'General';
    byCategory.set(category, [...(byCategory.get(category) ?? []), item]);
  }
  const outline = [...byCategory.entries()]
    .map(([category, items]) => {
      const sorted = [...items].sort((a, b) => PRIORITY_ORDER[a.priority ?? 'normal'] - PRIORITY_ORDER[b.priority ?? 'normal']);
      return [`## ${category}`, ...sorted.map((i) => `- ${i.priority === 'high' ? '[high] ' : ''}${i.title}${i.summary ? `: ${i.summary.replace(/\s+/g, ' ')}` : ''}`)].join('\n');
    })
    .join('\n');
  return {
    system: `You write concise daily briefings${payload.audience ? ` for ${payload.audience}` : ''}. Answer in plain text: one summary line, then one "## " heading per section with "- " bullets. No other formatting.`,
    messages: [{ role: 'user', text: `Write the daily briefing for ${date} from these items, grouped as given, most important first:\n${outline}` }],
    maxTokens: 1_024,
    temperature: 0.3,
  };
}

export interface BriefingSection {
  readonly heading: string;
  readonly bullets: readonly string[];
}

/** Reads `## ` sections with `- ` bullets; text before the first heading is the summary. */
export function parseBriefing(text: string): { summary: string; sections: BriefingSection[] } {
  const summary: string[] = [];
  const sections: { heading: string; bullets: string[] }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const heading = /^#{1,3}\s+(.+)$/.exec(line);
    const bullet = /^(?:[-*•]|\d+[.)])\s+(.+)$/.exec(line);
    if (heading) sections.push({ heading: heading[1]!.trim(), bullets: [] });
    else if (bullet && sections.length > 0) sections.at(-1)!.bullets.push(bullet[1]!.trim());
    else if (sections.length === 0) summary.push(bullet ? bullet[1]!.trim() : line);
    else sections.at(-1)!.bullets.push(line);
  }
  return { summary: summary.join(' '), sections };
}

/** Relative change of a metric, when it has a non-zero previous value. */
export function changeOf(metric: Insights['metrics'][number]): number | undefined {
  if (metric.previous === undefined || metric.previous === 0) return undefined;
  return (metric.value - metric.previous) / Math.abs(metric.previous);
}

/** Metrics, largest relative change first (unchanged or without history last, in input order). */
export function rankMetrics(metrics: Insights['metrics']): Insights['metrics'] {
  return metrics
    .map((metric, index) => ({ metric, index, change: Math.abs(changeOf(metric) ?? 0) }))
    .sort((a, b) => b.change - a.change || a.index - b.index)
    .map(({ metric }) => metric);
}

export function insightRequest(payload: Insights): ModelRequest {
  const lines = rankMetrics(payload.metrics).map((m) => {
    const change = changeOf(m);
    const unit = m.unit ? ` ${m.unit}` : '';
    const history = m.previous !== undefined ? ` (was ${m.previous}${unit}${change !== undefined ? `, ${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)}%` : ''})` : '';
    return `- ${m.name}: ${m.value}${unit}${history}`;
  });
  return {
    system: 'You are an analyst. Answer only with a numbered list, most important first, one insight per line as "N. <short title>: <one-sentence explanation and suggested action>".',
    messages: [{ role: 'user', text: `${payload.context ? `Context: ${payload.context.replace(/\s+/g, ' ')}\n` : ''}Give the ${payload.limit} most important insights from these metrics (ordered by size of change):\n${lines.join('\n')}` }],
    maxTokens: 1_024,
    temperature: 0.2,
  };
}

export interface Insight {
  readonly rank: number;
  readonly title: string;
  readonly detail: string;
}

/** Reads list lines (`1. title: detail` or `- title: detail`) in order, up to `limit`. */
export function parseInsights(text: string, limit: number): Insight[] {
  const insights: Insight[] = [];
  for (const raw of text.split('\n')) {
    const item = /^\s*(?:\d+[.)]|[-*•])\s+(.+)$/.exec(raw);
    if (!item) continue;
    const body = item[1]!.replace(/\*\*/g, '').trim();
    const split = body.indexOf(': ');
    insights.push({ rank: insights.length + 1, title: split > 0 ? body.slice(0, split) : body, detail: split > 0 ? body.slice(split + 2) : '' });
    if (insights.length === limit) break;
  }
  return insights;
}
