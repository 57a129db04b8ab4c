import type { EmailTemplateName } from '../../shared/jobs/email-templates/index.js';

/** A value that must come out escaped in HTML and verbatim in the text part. */
export const HOSTILE = `<script>alert("x")</script> & 'Ünïcødé'`;

/** Valid `data` for each template, with a hostile value in a field the body shows. */
export function templateData(template: EmailTemplateName, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<EmailTemplateName, Record<string, unknown>> = {
    welcome: { name: HOSTILE, loginUrl: 'https://app.example.com/login?next=/a&b=1' },
    'password-reset': { name: HOSTILE, resetUrl: 'https://app.example.com/reset?token=abc', expiresInMinutes: 30 },
    'job-completed': { name: HOSTILE, jobName: 'Quarterly report', jobId: 'job-42', outcome: 'succeeded', resultUrl: 'https://app.example.com/jobs/42', summary: `Line one\nLine two ${HOSTILE}` },
    invitation: { inviterName: 'Ada', teamName: 'Platform', acceptUrl: 'https://app.example.com/invite/xyz', message: HOSTILE, expiresInDays: 7 },
    'daily-digest': {
      name: HOSTILE,
      date: '2026-11-23',
      items: [
        { title: 'New tool: Hammer', url: 'https://tools.example.com/hammer', summary: 'Hits nails' },
        { title: `Escaped ${HOSTILE}` },
      ],
    },
    notification: { title: 'Your order shipped', body: `Order 1042 is on its way.\n${HOSTILE}`, link: 'https://shop.example.com/orders/1042', kind: 'order' },
  };
  return { ...base[template], ...overrides };
}

/** The text each template's subject must contain with `templateData`'s values. */
export const EXPECTED_SUBJECT: Record<EmailTemplateName, string> = {
  welcome: `Welcome to Conveyor, ${HOSTILE}`,
  'password-reset': 'Reset your Conveyor password',
  'job-completed': 'Quarterly report is ready',
  invitation: 'Ada invited you to join Platform',
  'daily-digest': 'Your Conveyor digest for 2026-11-23: 2 items',
  notification: 'Your order shipped',
};
