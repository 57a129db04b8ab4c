import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys, NOTIFICATION_PREFIX, TABLE_LAYOUT } from '../../../shared/config/table.js';
import { ConfigurationError, type ConveyorError } from '../../../shared/domain/errors.js';
import { dynamoFailure } from './sdk-errors.js';
import { jobIdTime } from '../../../shared/domain/job-id.js';
import { NOTIFICATION_RETENTION_DAYS, notificationId, parseNotificationId, type NotificationKind } from '../../../shared/jobs/notification.js';
import type { NewNotification, NotificationPage, NotificationPreferences, NotificationStore, NotificationView } from '../../../shared/ports/notifications.js';
import type { PageCursors } from './page-cursor.js';

export interface DynamoNotificationStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly now?: () => Date;
  readonly retentionDays?: number;
  /** Query calls one unread page may make while the filter skips read items. */
  readonly maxQueriesPerPage?: number;
  /** Signs and checks the list's page cursors (page-cursor.ts); needed by `list` only (the API). */
  readonly cursors?: PageCursors;
}

/**
 * NotificationStore on the job table (layout in shared/config/table.ts): one partition per tenant and
 * user, one item per notification keyed by its job id, so the put is a conditional write that a
 * redelivery cannot repeat, and a user's inbox newest first is one backwards Query. Unread is the
 * absence of `readAt` (nothing stored for it); expired items are filtered out until TTL removes them.
 */
export class DynamoNotificationStore implements NotificationStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #now: () => Date;
  readonly #retentionSeconds: number;
  readonly #maxQueries: number;
  readonly #cursors: PageCursors | undefined;

  constructor(options: DynamoNotificationStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#now = options.now ?? (() => new Date());
    this.#retentionSeconds = (options.retentionDays ?? NOTIFICATION_RETENTION_DAYS) * 86_400;
    this.#maxQueries = options.maxQueriesPerPage ?? 5;
    this.#cursors = options.cursors;
  }

  async put(tenant: string, n: NewNotification): Promise<'created' | 'existed'> {
    const createdMs = Date.parse(jobIdTime(n.jobId) ?? this.#now().toISOString());
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: {
            ...keys.notification(tenant, n.userId, n.jobId),
            kind: n.kind,
            title: n.title,
            body: n.body,
            ...(n.link ? { link: n.link } : {}),
            ...(Object.keys(n.details).length ? { details: n.details } : {}),
            ttl: Math.floor(createdMs / 1000) + this.#retentionSeconds,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return 'created';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'existed';
      throw unavailable('put', error);
    }
  }

  async list(tenant: string, userId: string, query: { limit: number; unread?: boolean; cursor?: string }): Promise<NotificationPage> {
    const cursors = this.#cursors;
    if (!cursors) throw new ConfigurationError('DynamoNotificationStore.list needs `cursors` (PageCursors)');
    const pk = keys.notificationPartition(tenant, userId);
    // A cursor is good only for the tenant, user and filter it was issued for.
    const scope = `notifications|${tenant}|${userId}|${query.unread ? 'unread' : 'all'}`;
    let startKey: Record<string, unknown> | undefined = query.cursor ? { pk, sk: `${NOTIFICATION_PREFIX}${await cursors.decode(scope, query.cursor)}` } : undefined;
    const filters = ['(attribute_not_exists(#ttl) OR #ttl > :now)', ...(query.unread ? ['attribute_not_exists(#readAt)'] : [])];
    const items: NotificationView[] = [];
    for (let queries = 0; queries < this.#maxQueries && items.length < query.limit; queries++) {
      const output = await this.#call('list', () =>
        this.#client.send(
          new QueryCommand({
            TableName: this.#table,
            KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
            FilterExpression: filters.join(' AND '),
            ExpressionAttributeNames: { '#pk': TABLE_LAYOUT.partitionKey, '#sk': TABLE_LAYOUT.sortKey, '#ttl': TABLE_LAYOUT.ttlAttribute, ...(query.unread ? { '#readAt': 'readAt' } : {}) },
            ExpressionAttributeValues: { ':pk': pk, ':prefix': NOTIFICATION_PREFIX, ':now': this.#epochNow() },
            ScanIndexForward: false,
            // One more than needed tells whether another page exists (when nothing is filtered out).
            Limit: query.limit - items.length + 1,
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        ),
      );
      for (const item of output.Items ?? []) items.push(toView(userId, item));
      startKey = output.LastEvaluatedKey;
      if (!startKey) break;
    }
    const page = items.slice(0, query.limit);
    const more = items.length > query.limit || startKey !== undefined;
    const last = page.at(-1);
    // The cursor is the last item returned; without one (nothing matched yet), where the reads stopped.
    const resumeAt = last ? last.id.split('.')[1]! : startKey ? String(startKey.sk).slice(NOTIFICATION_PREFIX.length) : undefined;
    return { items: page, ...(more && resumeAt ? { cursor: await cursors.encode(scope, resumeAt) } : {}) };
  }

  async markRead(tenant: string, id: string): Promise<NotificationView | undefined> {
    const parsed = parseNotificationId(id);
    if (!parsed) return undefined;
    try {
      const output = await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: keys.notification(tenant, parsed.userId, parsed.jobId),
          UpdateExpression: 'SET #readAt = if_not_exists(#readAt, :at)',
          ConditionExpression: 'attribute_exists(#pk) AND (attribute_not_exists(#ttl) OR #ttl > :now)',
          ExpressionAttributeNames: { '#readAt': 'readAt', '#pk': TABLE_LAYOUT.partitionKey, '#ttl': TABLE_LAYOUT.ttlAttribute },
          ExpressionAttributeValues: { ':at': this.#now().toISOString(), ':now': this.#epochNow() },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return output.Attributes ? toView(parsed.userId, output.Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw unavailable('markRead', error);
    }
  }

  async markAllRead(tenant: string, userId: string, max: number): Promise<{ updated: number; more: boolean }> {
    let updated = 0;
    let cursor: string | undefined;
    // Bounded: a request marks at most `max` items and reads at most 40 pages (a page may be all read items).
    for (let pages = 0; pages < 40; pages++) {
      const page = await this.list(tenant, userId, { limit: Math.min(25, max - updated), unread: true, ...(cursor ? { cursor } : {}) });
      const results = await Promise.all(page.items.map((item) => this.markRead(tenant, item.id)));
      updated += results.filter((r) => r !== undefined).length;
      cursor = page.cursor;
      if (!cursor) return { updated, more: false };
      if (updated >= max) return { updated, more: true };
    }
    return { updated, more: true };
  }

  async getPreferences(tenant: string, userId: string): Promise<NotificationPreferences | undefined> {
    const output = await this.#call('getPreferences', () =>
      this.#client.send(new GetCommand({ TableName: this.#table, Key: keys.notificationPreferences(tenant, userId), ConsistentRead: true })),
    );
    const item = output.Item;
    if (!item) return undefined;
    return { email: item.email === true, ...(typeof item.address === 'string' ? { address: item.address } : {}), updatedAt: String(item.updatedAt) };
  }

  async putPreferences(tenant: string, userId: string, preferences: { email: boolean; address?: string }): Promise<NotificationPreferences> {
    const stored: NotificationPreferences = { email: preferences.email, ...(preferences.address ? { address: preferences.address } : {}), updatedAt: this.#now().toISOString() };
    await this.#call('putPreferences', () => this.#client.send(new PutCommand({ TableName: this.#table, Item: { ...keys.notificationPreferences(tenant, userId), ...stored } })));
    return stored;
  }

  #epochNow(): number {
    return Math.floor(this.#now().getTime() / 1000);
  }

  async #call<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw unavailable(operation, error);
    }
  }
}

function toView(userId: string, item: Record<string, unknown>): NotificationView {
  const jobId = String(item[TABLE_LAYOUT.sortKey]).slice(NOTIFICATION_PREFIX.length);
  return {
    id: notificationId(userId, jobId),
    kind: item.kind as NotificationKind,
    title: String(item.title),
    body: String(item.body),
    ...(typeof item.link === 'string' ? { link: item.link } : {}),
    read: typeof item.readAt === 'string',
    createdAt: jobIdTime(jobId) ?? '',
    ...(typeof item.readAt === 'string' ? { readAt: item.readAt } : {}),
    ...(item.details ? { details: item.details as Record<string, unknown> } : {}),
  };
}

/** The named error of a failed call (sdk-errors.ts: configuration fault, bug, or unavailable). */
function unavailable(operation: string, error: unknown): ConveyorError {
  return dynamoFailure(`notification store ${operation}`, error);
}
