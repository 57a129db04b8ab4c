import type { NotificationKind } from '../jobs/notification.js';

/** A notification as the API shows it. */
export interface NotificationView {
  /** Opaque: names the user and the job that made the notification. */
  readonly id: string;
  readonly kind: NotificationKind;
  readonly title: string;
  readonly body: string;
  readonly link?: string;
  readonly read: boolean;
  readonly createdAt: string;
  readonly readAt?: string;
  /** The kind-specific fields (orderId, status, listingId…). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface NewNotification {
  readonly jobId: string;
  readonly userId: string;
  readonly kind: NotificationKind;
  readonly title: string;
  readonly body: string;
  readonly link?: string;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface NotificationPreferences {
  /** E-mail a copy of each notification. */
  readonly email: boolean;
  /** Where to; required while `email` is on. */
  readonly address?: string;
  readonly updatedAt: string;
}

export interface NotificationPage {
  readonly items: readonly NotificationView[];
  readonly cursor?: string;
}

/** Per-tenant, per-user notification inboxes and preferences. */
export interface NotificationStore {
  /** Stores a notification once per job: `existed` when a delivery of the same job already did. */
  put(tenant: string, notification: NewNotification): Promise<'created' | 'existed'>;
  list(tenant: string, userId: string, query: { limit: number; unread?: boolean; cursor?: string }): Promise<NotificationPage>;
  /** Undefined when the tenant has no such notification (or it expired). */
  markRead(tenant: string, id: string): Promise<NotificationView | undefined>;
  /** Marks up to `max` unread notifications read; `more` when unread ones may remain. */
  markAllRead(tenant: string, userId: string, max: number): Promise<{ updated: number; more: boolean }>;
  getPreferences(tenant: string, userId: string): Promise<NotificationPreferences | undefined>;
  putPreferences(tenant: string, userId: string, preferences: { email: boolean; address?: string }): Promise<NotificationPreferences>;
}
