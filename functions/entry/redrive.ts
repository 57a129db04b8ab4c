import { parseConfig } from '../../shared/config/env.js';
import { buildRedriveConsumer } from '../roots/redrive.js';

// Consumes the redrive queue: each message drives one redrive task for the rest of the invocation.
export const handler = buildRedriveConsumer(parseConfig(process.env)).handler;
