import { handle } from 'hono/aws-lambda';
import { parseConfig } from '../../shared/config/env.js';
import { buildApiApp } from '../roots/api.js';

// Built once per cold start; the handler only adapts API Gateway events to the app.
const app = buildApiApp(parseConfig(process.env));

export const handler = handle(app);
