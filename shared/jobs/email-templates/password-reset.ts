import * as z from 'zod';
import { singleLine, webUrl } from '../fields.js';
import { DEFAULT_PRODUCT_NAME, defineEmailTemplate } from './define.js';
import { button, html, layout } from './html.js';

/** A password-reset link with its expiry; says what to do if the user did not ask for it. */
export const passwordResetTemplate = defineEmailTemplate({
  name: 'password-reset',
  data: z
    .object({
      name: singleLine(100),
      resetUrl: webUrl,
      expiresInMinutes: z.number().int().min(1).max(10_080),
      productName: singleLine(60).optional(),
    })
    .strict(),
  subject: (d) => `Reset your ${d.productName ?? DEFAULT_PRODUCT_NAME} password`,
  html: (d) =>
    layout({
      title: 'Reset your password',
      body: html`<h1 style="font-size:22px;margin:0 0 16px">Reset your password</h1>
<p style="margin:0 0 12px">Hi ${d.name}, someone asked to reset the password of your ${d.productName ?? DEFAULT_PRODUCT_NAME} account.</p>
${button('Choose a new password', d.resetUrl)}
<p style="margin:0 0 12px">The link expires in ${d.expiresInMinutes} minutes.</p>
<p style="margin:0;color:#52525b;font-size:13px">If you did not ask for this, ignore this e-mail: your password stays unchanged.</p>`,
    }),
  text: (d) =>
    `Hi ${d.name},\n\nSomeone asked to reset the password of your ${d.productName ?? DEFAULT_PRODUCT_NAME} account.\n\n` +
    `Choose a new password: ${d.resetUrl}\n\nThe link expires in ${d.expiresInMinutes} minutes.\n\n` +
    `If you did not ask for this, ignore this e-mail: your password stays unchanged.\n`,
});
