import * as z from 'zod';
import { multiLine, singleLine, webUrl } from '../fields.js';
import { defineEmailTemplate } from './define.js';
import { button, html, layout, paragraphs } from './html.js';

/** An invitation to join a team, with the inviter's optional personal note. */
export const invitationTemplate = defineEmailTemplate({
  name: 'invitation',
  data: z
    .object({
      inviterName: singleLine(100),
      teamName: singleLine(100),
      acceptUrl: webUrl,
      message: multiLine(2_000).optional(),
      expiresInDays: z.number().int().min(1).max(90).optional(),
    })
    .strict(),
  subject: (d) => `${d.inviterName} invited you to join ${d.teamName}`,
  html: (d) =>
    layout({
      title: `Join ${d.teamName}`,
      body: html`<h1 style="font-size:22px;margin:0 0 16px">You are invited to ${d.teamName}</h1>
<p style="margin:0 0 12px">${d.inviterName} invited you to join the team ${d.teamName}.</p>
${d.message ? html`<blockquote style="margin:0 0 12px;padding-left:12px;border-left:3px solid #d4d4d8;color:#3f3f46">${paragraphs(d.message)}</blockquote>` : ''}
${button('Accept the invitation', d.acceptUrl)}
${d.expiresInDays ? html`<p style="margin:0;color:#52525b;font-size:13px">The invitation expires in ${d.expiresInDays} days.</p>` : ''}`,
    }),
  text: (d) =>
    `${d.inviterName} invited you to join the team ${d.teamName}.\n\n` +
    `${d.message ? `${d.inviterName} wrote:\n${d.message}\n\n` : ''}Accept the invitation: ${d.acceptUrl}\n` +
    `${d.expiresInDays ? `\nThe invitation expires in ${d.expiresInDays} days.\n` : ''}`,
});
