import * as z from 'zod';
import { multiLine, singleLine, webUrl } from '../fields.js';
import { DEFAULT_PRODUCT_NAME, defineEmailTemplate } from './define.js';
import { button, html, layout, paragraphs } from './html.js';

/** The e-mail copy of an in-app notification (sent by the notification job when the user has e-mail on). */
export const notificationTemplate = defineEmailTemplate({
  name: 'notification',
  data: z
    .object({
      title: singleLine(200),
      body: multiLine(2_000),
      link: webUrl.optional(),
      kind: z.enum(['system', 'order', 'ai-insight', 'marketplace']),
      productName: singleLine(60).optional(),
    })
    .strict(),
  subject: (d) => d.title,
  html: (d) =>
    layout({
      title: d.title,
      body: html`<h1 style="font-size:22px;margin:0 0 16px">${d.title}</h1>
${paragraphs(d.body)}
${d.link ? button('Open', d.link) : ''}`,
      footer: `You receive this because e-mail notifications are on in your ${d.productName ?? DEFAULT_PRODUCT_NAME} settings.`,
    }),
  text: (d) => `${d.title}\n\n${d.body}\n${d.link ? `\nOpen: ${d.link}\n` : ''}\nYou receive this because e-mail notifications are on in your ${d.productName ?? DEFAULT_PRODUCT_NAME} settings.\n`,
});
