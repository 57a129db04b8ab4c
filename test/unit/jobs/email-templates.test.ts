import { describe, expect, it } from 'vitest';
import { renderEmail } from '../../../functions/jobs/email/render.js';
import { emailTemplates, EMAIL_TEMPLATE_NAMES } from '../../../shared/jobs/email-templates/index.js';
import { escapeHtml, html } from '../../../shared/jobs/email-templates/html.js';
import { emailJob, type EmailPayload } from '../../../shared/jobs/email.js';
import { EXPECTED_SUBJECT, HOSTILE, templateData } from '../../helpers/email-payloads.js';

const payloadFor = (template: string, data: Record<string, unknown>, extra: Record<string, unknown> = {}): EmailPayload =>
  emailJob.payload.parse({ to: ['a@example.com'], template, data, ...extra });

describe('Function: html (escaping tag)', () => {
  it('escapes every interpolated string and keeps nested html fragments as markup', () => {
    // Act
    const out = html`<p title="${'"quoted" & <b>'}">${html`<b>${'<i>'}</b>`}${['<a>', html`<br>`]}${undefined}${false}</p>`;

    // Assess
    expect(out.value).toBe('<p title="&quot;quoted&quot; &amp; &lt;b&gt;"><b>&lt;i&gt;</b>&lt;a&gt;<br></p>');
  });

  it('escapes all five HTML-significant characters and the backtick', () => {
    expect(escapeHtml(`&<>"'\``)).toBe('&amp;&lt;&gt;&quot;&#39;&#96;');
  });
});

describe.each(EMAIL_TEMPLATE_NAMES)('Template: %s', (name) => {
  it('renders a subject, an HTML part and a plain-text part', () => {
    // Act
    const rendered = renderEmail(payloadFor(name, templateData(name)));

    // Assess
    expect(rendered.subject).toBe(EXPECTED_SUBJECT[name]);
    expect(rendered.html).toMatch(/^<!DOCTYPE html>/);
    expect(rendered.text.length).toBeGreaterThan(20);
    // The text part is plain text: no markup of the template's own (the hostile value aside).
    expect(rendered.text.replaceAll(HOSTILE, '')).not.toMatch(/<\/?(p|a|div|br|h1|li|ol|blockquote)\b/);
  });

  it('escapes every user-supplied value in HTML and keeps it verbatim in the text part', () => {
    // Act
    const rendered = renderEmail(payloadFor(name, templateData(name)));

    // Assess
    expect(rendered.html).not.toContain('<script>');
    expect(rendered.html).toContain(escapeHtml(HOSTILE));
    expect(rendered.text).toContain(HOSTILE);
  });

  it('puts every link of the data into both parts, attribute-escaped in HTML', () => {
    // Prepare
    const data = templateData(name);
    const links = JSON.stringify(data).match(/https:\/\/[^"]+/g) ?? [];

    // Act
    const rendered = renderEmail(payloadFor(name, data));

    // Assess
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) {
      expect(rendered.text).toContain(link);
      expect(rendered.html).toContain(escapeHtml(link));
    }
  });

  it('has a data schema that refuses unknown fields', () => {
    const result = emailTemplates[name].data.safeParse({ ...templateData(name), trackingPixel: 'https://evil.example.com/p.gif' });
    expect(result.success).toBe(false);
  });
});

describe('Template: daily-digest without a date', () => {
  it('is dated the day it is rendered (a recurring job’s fixed payload)', () => {
    // Prepare
    const { date: _date, ...data } = templateData('daily-digest');

    // Act
    const rendered = renderEmail(payloadFor('daily-digest', data), { now: new Date('2026-12-01T07:00:00Z') });

    // Assess
    expect(rendered.subject).toBe('Your Conveyor digest for 2026-12-01: 2 items');
    expect(rendered.text).toContain('digest for 2026-12-01');
  });
});

describe('Schema: email payload', () => {
  it.each([
    ['CR/LF in to', { to: ['a@example.com\r\nBcc: x@example.com'] }, 'to.0'],
    ['a NUL in the subject', { subject: 'a\u0000b' }, 'subject'],
    ['a Unicode line separator in the subject', { subject: 'a\u2028Bcc: x@example.com' }, 'subject'],
    ['a tab in a single-line field', { data: templateData('welcome', { name: 'a\tb' }) }, 'data.name'],
    ['a quoted display name', { to: ['"Eve" <eve@example.com>'] }, 'to.0'],
    ['a from field', { from: 'boss@example.com' }, '(root)'],
    ['a data: URL', { data: templateData('welcome', { loginUrl: 'data:text/html,<script>1</script>' }) }, 'data.loginUrl'],
    ['an address over 254 characters', { to: [`${'a'.repeat(250)}@example.com`] }, 'to.0'],
  ])('refuses %s', (_label, change, path) => {
    // Act
    const result = emailJob.payload.safeParse({ to: ['a@example.com'], template: 'welcome', data: templateData('welcome'), ...change });

    // Assess
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join('.') || '(root)');
    expect(paths).toContain(path);
  });

  it('keeps newlines in multi-line fields and refuses other control characters there', () => {
    const ok = emailJob.payload.safeParse({ to: ['a@example.com'], template: 'invitation', data: templateData('invitation', { message: 'line 1\nline 2\r\n\tindented' }) });
    const bad = emailJob.payload.safeParse({ to: ['a@example.com'], template: 'invitation', data: templateData('invitation', { message: 'bell\u0007' }) });
    expect(ok.success).toBe(true);
    expect(bad.success).toBe(false);
  });
});
