import * as z from 'zod';
import { PermanentJobError } from '../../../../shared/domain/errors.js';
import type { PdfData } from '../../../../shared/jobs/pdf.js';
import { PdfWriter } from '../writer.js';
import type { RenderedPdf, RenderTools } from './types.js';

/**
 * The slice of an analysis job's stored result the report prints. Parsed, not trusted: a record
 * written by an older handler version fails here with a clear error instead of a broken PDF.
 */
export const analysisResultSchema = z.object({
  toolId: z.string(),
  domain: z.string(),
  counts: z.object({ characters: z.number(), words: z.number(), sentences: z.number(), uniqueWords: z.number() }),
  readingTimeSeconds: z.number(),
  keywords: z.array(z.object({ word: z.string(), count: z.number() })),
  sentiment: z.object({ score: z.number(), comparative: z.number(), label: z.string() }),
  category: z.object({ name: z.string(), confidence: z.number(), matches: z.array(z.string()) }),
});

export interface FinishedAnalysis {
  readonly jobId: string;
  readonly finishedAt?: string;
  readonly result: unknown;
}

/** Renders a finished analysis job's result: summary, counts, sentiment, category and keywords. */
export async function renderAnalysisReport(data: PdfData<'analysis-report'>, analysis: FinishedAnalysis, tools: RenderTools): Promise<RenderedPdf> {
  const parsed = analysisResultSchema.safeParse(analysis.result);
  if (!parsed.success) throw new PermanentJobError(`analysis job ${analysis.jobId} has a result this report cannot read`, 'ANALYSIS_RESULT_UNREADABLE');
  const result = parsed.data;
  const title = data.title ?? `Analysis report: ${result.toolId}`;

  const writer = await PdfWriter.create({ title, subject: `Analysis job ${analysis.jobId}`, createdAt: tools.createdAt });
  writer.heading(title, 20);
  writer.muted(`Analysis job ${analysis.jobId}${analysis.finishedAt ? ` · finished ${analysis.finishedAt}` : ''}`);
  writer.rule();
  writer.keyValues([
    ['Tool', result.toolId],
    ['Domain', result.domain],
    ['Category', `${result.category.name} (confidence ${Math.round(result.category.confidence * 100)}%)`],
    ['Sentiment', `${result.sentiment.label} (score ${result.sentiment.score}, comparative ${result.sentiment.comparative.toFixed(3)})`],
    ['Reading time', `${result.readingTimeSeconds} s`],
  ]);
  await tools.progress(0.4, 'analysis summary');
  writer.heading('Text statistics', 13);
  await writer.table({
    columns: ['Characters', 'Words', 'Sentences', 'Unique words'],
    rows: [[String(result.counts.characters), String(result.counts.words), String(result.counts.sentences), String(result.counts.uniqueWords)]],
    align: ['right', 'right', 'right', 'right'],
  });
  await tools.progress(0.6, 'text statistics');
  writer.heading('Top keywords', 13);
  if (result.keywords.length === 0) writer.paragraph('No keywords found.');
  else {
    await writer.table({
      columns: ['#', 'Keyword', 'Occurrences'],
      rows: result.keywords.map((k, i) => [String(i + 1), k.word, String(k.count)]),
      weights: [0.5, 4, 1.5],
      align: ['right', 'left', 'right'],
    });
  }
  if (result.category.matches.length > 0) writer.paragraph(`Category signals: ${result.category.matches.join(', ')}`, { size: 9 });
  await tools.progress(0.9, 'keywords');
  const bytes = await writer.finish(title);
  return { bytes, pages: writer.pageCount };
}
