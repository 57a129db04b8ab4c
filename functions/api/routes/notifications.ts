import { Hono } from 'hono';
import * as z from 'zod';
import { userId } from '../../../shared/jobs/notification.js';
import { emailAddress } from '../../../shared/jobs/fields.js';
import type { NotificationStore } from '../../../shared/ports/notifications.js';
import { HttpError } from '../http-errors.js';
import { jsonBody, type ApiEnv } from '../middleware.js';
import { validateOrThrow } from '../validate.js';
import { validateQuery } from './admin-http.js';

export const notificationListQuery = z
  .object({
    userId,
    unread: z.enum(['true', 'false']).optional(),
    cursor: z.string().min(1).max(512).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();

export const preferencesBody = z
  .object({ email: z.boolean(), address: emailAddress.optional() })
  .strict()
  .refine((p) => !p.email || p.address !== undefined, { message: 'an address is needed to turn e-mail notifications on', path: ['address'] });

export const readAllQuery = z.object({ userId }).strict();

/** Marks at most this many notifications read per `read-all` call; `more: true` says to call again. */
const READ_ALL_MAX = 500;

/**
 * A tenant's users' notification inboxes (the `notification` job writes them) and their e-mail
 * preference. Every key is the caller's tenant plus the user id: another tenant's notification is a 404.
 */
export function notificationRoutes(store: NotificationStore): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>();

  routes.get('/', async (c) => {
    const query = validateQuery(notificationListQuery, c.req.query());
    const page = await store.list(c.get('principal').tenant, query.userId, { limit: query.limit, unread: query.unread === 'true', ...(query.cursor ? { cursor: query.cursor } : {}) });
    return c.json(page);
  });

  routes.post('/read-all', async (c) => {
    const query = validateQuery(readAllQuery, c.req.query());
    return c.json(await store.markAllRead(c.get('principal').tenant, query.userId, READ_ALL_MAX));
  });

  routes.get('/preferences/:userId', async (c) => {
    const user = validateOrThrow(userId, c.req.param('userId'));
    const preferences = await store.getPreferences(c.get('principal').tenant, user);
    return c.json({ userId: user, ...(preferences ?? { email: false }) });
  });

  routes.put('/preferences/:userId', jsonBody(4_096), async (c) => {
    const user = validateOrThrow(userId, c.req.param('userId'));
    const body = validateOrThrow(preferencesBody, c.get('jsonBody'));
    return c.json({ userId: user, ...(await store.putPreferences(c.get('principal').tenant, user, body)) });
  });

  routes.post('/:id/read', async (c) => {
    const id = c.req.param('id');
    const view = await store.markRead(c.get('principal').tenant, id);
    if (!view) throw new HttpError(404, 'NOT_FOUND', `notification ${id} not found`);
    return c.json(view);
  });

  return routes;
}
