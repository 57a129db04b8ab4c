import * as z from 'zod';
import { singleLine, webUrl } from '../fields.js';
import { DEFAULT_PRODUCT_NAME, defineEmailTemplate } from './define.js';
import { button, html, layout } from './html.js';

/** Sent once a user signs up: greets them and links to the app. */
export const welcomeTemplate = defineEmailTemplate({
  name: 'welcome',
  data: z
    .object({
      name: singleLine(100),
      loginUrl: webUrl,
      productName: singleLine(60).optional(),
    })
    .strict(),
  subject: (d) => `Welcome to ${d.productName ?? DEFAULT_PRODUCT_NAME}, ${d.name}`,
  html: (d) => {
    const product = d.productName ?? DEFAULT_PRODUCT_NAME;
    return layout({
      title: `Welcome to ${product}`,
      body: html`<h1 style="font-size:22px;margin:0 0 16px">Welcome, ${d.name}!</h1>
<p style="margin:0 0 12px">Your ${product} account is ready.</p>
${button(`Sign in to ${product}`, d.loginUrl)}
<p style="margin:0;color:#52525b;font-size:13px">Or paste this link into your browser: ${d.loginUrl}</p>`,
    });
  },
  text: (d) => {
    const product = d.productName ?? DEFAULT_PRODUCT_NAME;
    return `Welcome, ${d.name}!\n\nYour ${product} account is ready.\n\nSign in: ${d.loginUrl}\n`;
  },
});
