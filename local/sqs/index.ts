export { startSqsServer, type SqsServer, type SqsServerOptions, type SqsServerStats } from './server.js';
export type { QueueStats } from './service.js';
