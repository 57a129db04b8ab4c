import { PermanentJobError } from '../../../shared/domain/errors.js';
import type { EmailPayload } from '../../../shared/jobs/email.js';
import type { RenderContext, RenderedEmail } from '../../../shared/jobs/email-templates/define.js';
import { emailTemplates } from '../../../shared/jobs/email-templates/index.js';
import { hasControlCharacters, HEADER_INJECTION_MESSAGE } from '../../../shared/jobs/fields.js';

/** Renders a payload's template: subject (or the payload's override), HTML and text parts. */
export function renderEmail(payload: EmailPayload, context: RenderContext = { now: new Date() }): RenderedEmail {
  // The union ties each template name to its data type; TypeScript cannot follow that correlation
  // through an index, and the payload was parsed by exactly this template's schema, so widen here.
  const template = emailTemplates[payload.template] as unknown as {
    subject(data: unknown, context: RenderContext): string;
    html(data: unknown, context: RenderContext): string;
    text(data: unknown, context: RenderContext): string;
  };
  const subject = payload.subject ?? template.subject(payload.data, context);
  // Defence in depth: the schema already refuses control characters in every field a subject is
  // built from; a template that ever joined lines itself would be caught here, not in a header.
  if (hasControlCharacters(subject)) {
    throw new PermanentJobError(`rendered subject ${HEADER_INJECTION_MESSAGE}`, 'INVALID_SUBJECT');
  }
  return { subject, html: template.html(payload.data, context), text: template.text(payload.data, context) };
}
