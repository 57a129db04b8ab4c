import { CATEGORIES, SENTIMENT, STOPWORDS } from './lexicon.js';

/** Average adult silent reading speed for non-fiction (Brysbaert, 2019). */
export const WORDS_PER_MINUTE = 238;

export interface AnalysisResult {
  readonly toolId: string;
  readonly domain: string;
  readonly counts: { readonly characters: number; readonly words: number; readonly sentences: number; readonly uniqueWords: number };
  readonly readingTimeSeconds: number;
  readonly keywords: readonly { readonly word: string; readonly count: number }[];
  readonly sentiment: { readonly score: number; readonly comparative: number; readonly label: 'positive' | 'neutral' | 'negative' };
  readonly category: { readonly name: string; readonly confidence: number; readonly matches: readonly string[] };
}

/** Words: runs of letters/digits (any script), keeping inner apostrophes and hyphens. */
export function tokenize(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu) ?? []).map((w) => w.replace(/’/g, "'"));
}

/** Sentences: text ending in . ! ? (or the end), ignoring empty fragments. */
export function countSentences(text: string): number {
  return text.split(/[.!?]+(?:\s|$)/u).filter((s) => /[\p{L}\p{N}]/u.test(s)).length;
}

export function topKeywords(words: readonly string[], limit = 10): { word: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const word of words) {
    if (word.length < 3 || STOPWORDS.has(word) || /^\d+$/.test(word)) continue;
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  // Deterministic: by count, then alphabetically.
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, limit)
    .map(([word, count]) => ({ word, count }));
}

export function sentimentOf(words: readonly string[]): AnalysisResult['sentiment'] {
  let score = 0;
  for (let i = 0; i < words.length; i++) {
    const weight = SENTIMENT[words[i] as string];
    if (weight === undefined) continue;
    // "not good" flips the sign of the next sentiment word.
    const negated = i > 0 && ['not', "don't", "doesn't", 'never', 'no', "isn't", "wasn't"].includes(words[i - 1] as string);
    score += negated ? -weight : weight;
  }
  const comparative = words.length ? round(score / words.length, 4) : 0;
  const label = score > 0 ? 'positive' : score < 0 ? 'negative' : 'neutral';
  return { score, comparative, label };
}

export function categoryOf(words: readonly string[]): AnalysisResult['category'] {
  const present = new Set(words);
  let best = { name: 'uncategorized', matches: [] as string[] };
  let total = 0;
  for (const [name, vocabulary] of Object.entries(CATEGORIES)) {
    const matches = vocabulary.filter((w) => present.has(w));
    total += matches.length;
    if (matches.length > best.matches.length) best = { name, matches };
  }
  return { name: best.name, confidence: total ? round(best.matches.length / total, 2) : 0, matches: best.matches };
}

export function domainOf(url: string): string {
  // Parsed, never fetched: the analysis makes no network calls.
  return new URL(url).hostname.replace(/^www\./, '');
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
