import * as z from 'zod';
import { multiLine, singleLine, webUrl } from '../fields.js';
import { defineEmailTemplate } from './define.js';
import { button, html, layout, paragraphs } from './html.js';

/** Tells a user that a job of theirs finished, with a link to its result. */
export const jobCompletedTemplate = defineEmailTemplate({
  name: 'job-completed',
  data: z
    .object({
      name: singleLine(100),
      jobName: singleLine(120),
      jobId: singleLine(64),
      outcome: z.enum(['succeeded', 'failed']),
      resultUrl: webUrl,
      summary: multiLine(2_000).optional(),
    })
    .strict(),
  subject: (d) => (d.outcome === 'succeeded' ? `${d.jobName} is ready` : `${d.jobName} failed`),
  html: (d) =>
    layout({
      title: d.outcome === 'succeeded' ? `${d.jobName} is ready` : `${d.jobName} failed`,
      body: html`<h1 style="font-size:22px;margin:0 0 16px">${d.jobName} ${d.outcome === 'succeeded' ? 'is ready' : 'failed'}</h1>
<p style="margin:0 0 12px">Hi ${d.name}, your job <code>${d.jobId}</code> ${d.outcome === 'succeeded' ? 'finished successfully' : 'could not be completed'}.</p>
${d.summary ? paragraphs(d.summary) : ''}
${button(d.outcome === 'succeeded' ? 'View the result' : 'View the details', d.resultUrl)}`,
    }),
  text: (d) =>
    `Hi ${d.name},\n\nYour job ${d.jobName} (${d.jobId}) ${d.outcome === 'succeeded' ? 'finished successfully' : 'could not be completed'}.\n\n` +
    `${d.summary ? `${d.summary}\n\n` : ''}${d.outcome === 'succeeded' ? 'View the result' : 'View the details'}: ${d.resultUrl}\n`,
});
