import * as z from 'zod';
import { isoDate, multiLine, singleLine, webUrl } from '../fields.js';
import { DEFAULT_PRODUCT_NAME, defineEmailTemplate, type RenderContext } from './define.js';
import { html, layout } from './html.js';

const item = z
  .object({
    title: singleLine(200),
    url: webUrl.optional(),
    summary: multiLine(1_000).optional(),
  })
  .strict();

/** A daily list of items (new tools, finished jobs…), each with an optional link and summary. */
export const dailyDigestTemplate = defineEmailTemplate({
  name: 'daily-digest',
  data: z
    .object({
      name: singleLine(100),
      /** The digest's day; absent (a recurring job's fixed payload), the day it is sent, UTC. */
      date: isoDate.optional(),
      items: z.array(item).min(1, 'a digest needs at least one item').max(50, 'a digest holds at most 50 items'),
      productName: singleLine(60).optional(),
      unsubscribeUrl: webUrl.optional(),
    })
    .strict(),
  subject: (d, c) => `Your ${d.productName ?? DEFAULT_PRODUCT_NAME} digest for ${dayOf(d, c)}: ${d.items.length} ${d.items.length === 1 ? 'item' : 'items'}`,
  html: (d, c) =>
    layout({
      title: `Digest for ${dayOf(d, c)}`,
      body: html`<h1 style="font-size:22px;margin:0 0 16px">Your digest for ${dayOf(d, c)}</h1>
<p style="margin:0 0 12px">Hi ${d.name}, here is what happened:</p>
<ol style="padding-left:20px;margin:0 0 12px">${d.items.map(
        (i) =>
          html`<li style="margin:0 0 10px">${i.url ? html`<a href="${i.url}" style="color:#2563eb">${i.title}</a>` : html`<strong>${i.title}</strong>`}${i.summary ? html`<br><span style="color:#3f3f46">${i.summary}</span>` : ''}</li>`,
      )}</ol>`,
      ...(d.unsubscribeUrl ? { footer: `Unsubscribe: ${d.unsubscribeUrl}` } : {}),
    }),
  text: (d, c) =>
    `Hi ${d.name}, here is your digest for ${dayOf(d, c)}:\n\n` +
    d.items.map((i, n) => `${n + 1}. ${i.title}${i.url ? `\n   ${i.url}` : ''}${i.summary ? `\n   ${i.summary.replace(/\r?\n/g, '\n   ')}` : ''}`).join('\n\n') +
    `\n${d.unsubscribeUrl ? `\nUnsubscribe: ${d.unsubscribeUrl}\n` : ''}`,
});

function dayOf(data: { date?: string | undefined }, context: RenderContext): string {
  return data.date ?? context.now.toISOString().slice(0, 10);
}
