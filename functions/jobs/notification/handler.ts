import { notificationId, notificationJob, type NotificationPayload } from '../../../shared/jobs/notification.js';
import type { EnqueueRequest } from '../../../shared/jobs/registry.js';
import type { NotificationStore } from '../../../shared/ports/notifications.js';
import type { JobHandler } from '../../worker/context.js';
import { defineHandler } from '../define-handler.js';

export interface NotificationHandlerDeps {
  readonly store: NotificationStore;
  /** Enqueues a job as a follow-up of this one (the same job on every delivery): FollowUpEnqueuer. */
  readonly followUp: { enqueue(tenant: string, parentJobId: string, purpose: string, request: EnqueueRequest): Promise<{ jobId: string; replayed: boolean }> };
}

export interface NotificationResult {
  readonly notificationId: string;
  readonly userId: string;
  readonly kind: NotificationPayload['kind'];
  /** `existed`: an earlier delivery of this job stored it already (nothing shows twice). */
  readonly stored: 'created' | 'existed';
  readonly email: { readonly jobId: string } | { readonly skipped: 'e-mail notifications off' | 'no preferences set' };
}

/**
 * The notification job: store the notification in the user's inbox (once per job), then, if the
 * user has e-mail notifications on, enqueue an `email` job with the same content. Both steps are
 * idempotent per job, so a redelivery completes what a crash left and duplicates nothing.
 */
export function createNotificationHandler(deps: NotificationHandlerDeps): JobHandler<NotificationPayload, NotificationResult> {
  return async (payload, context) => {
    const { kind, userId, title, body, link, ...details } = payload;
    const stored = await deps.store.put(context.tenant, { jobId: context.jobId, userId, kind, title, body, ...(link ? { link } : {}), details });
    const id = notificationId(userId, context.jobId);
    const preferences = await deps.store.getPreferences(context.tenant, userId);
    if (!preferences) return { notificationId: id, userId, kind, stored, email: { skipped: 'no preferences set' } };
    if (!preferences.email || !preferences.address) return { notificationId: id, userId, kind, stored, email: { skipped: 'e-mail notifications off' } };
    const email = await deps.followUp.enqueue(context.tenant, context.jobId, 'notification-email', {
      type: 'email',
      payload: { template: 'notification', to: [preferences.address], data: { title, body, kind, ...(link ? { link } : {}) } },
    });
    context.logger.info('e-mail copy enqueued', { emailJobId: email.jobId, replayed: email.replayed });
    return { notificationId: id, userId, kind, stored, email: { jobId: email.jobId } };
  };
}

/** The handler module: the inbox on the job table, and the enqueue path for the e-mail copy. */
export default defineHandler(notificationJob, ({ inbox, enqueue }) => createNotificationHandler({ store: inbox, followUp: enqueue }));
