import { dailyDigestTemplate } from './daily-digest.js';
import { invitationTemplate } from './invitation.js';
import { jobCompletedTemplate } from './job-completed.js';
import { notificationTemplate } from './notification.js';
import { passwordResetTemplate } from './password-reset.js';
import { welcomeTemplate } from './welcome.js';

/** The e-mail templates by name. Add a template: write its file, list it here. */
export const emailTemplates = {
  welcome: welcomeTemplate,
  'password-reset': passwordResetTemplate,
  'job-completed': jobCompletedTemplate,
  invitation: invitationTemplate,
  'daily-digest': dailyDigestTemplate,
  notification: notificationTemplate,
} as const;

export type EmailTemplateName = keyof typeof emailTemplates;
export const EMAIL_TEMPLATE_NAMES = Object.keys(emailTemplates) as EmailTemplateName[];
