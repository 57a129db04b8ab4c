/**
 * `npm start`: the local cloud in the foreground. Data persists under `.data/` between runs.
 * Environment: PORT (API port, default 3000; the other servers' ports follow it, see local/ports.ts),
 * CONVEYOR_DATA_DIR (default .data), LOG_LEVEL, CONVEYOR_TENANT_ENQUEUE_LIMIT (`<jobs>/<seconds>`,
 * default 600/60). docs/local-cloud.md lists them all.
 */
import './quiet-sdk.js';
import { startLocalCloud, LOCAL_API_KEYS } from './cloud.js';
import { parseLogSettings } from '../shared/config/env.js';
import { localDataDir, removeLocalEndpoint, writeLocalEndpoint } from './endpoint-file.js';
import { ConfigurationError } from '../shared/domain/errors.js';
import { parseRateRule } from '../shared/jobs/rate-limits.js';
import { exitOnStartFailure, localPorts } from './ports.js';

const dataDir = localDataDir();

const started = Date.now();
const tenantEnqueue = process.env.CONVEYOR_TENANT_ENQUEUE_LIMIT ? parseRateRule(process.env.CONVEYOR_TENANT_ENQUEUE_LIMIT) : undefined;
const cloud = await exitOnStartFailure(async () => {
  if (process.env.CONVEYOR_TENANT_ENQUEUE_LIMIT && !tenantEnqueue) throw new ConfigurationError('CONVEYOR_TENANT_ENQUEUE_LIMIT must be <jobs>/<seconds>, e.g. 600/60');
  // LOG_LEVEL (default info), CONVEYOR_LOG_DEBUG_SAMPLE_RATE, CONVEYOR_TRACING: a bad value stops here, named.
  const log = parseLogSettings({ LOG_LEVEL: 'info', ...process.env });
  const ports = localPorts(process.env);
  return startLocalCloud({
    apiPort: ports.api,
    ports,
    dataDir,
    logLevel: log.LOG_LEVEL,
    debugSampleRate: log.CONVEYOR_LOG_DEBUG_SAMPLE_RATE,
    tracing: log.CONVEYOR_TRACING === 'on',
    rateLimits: tenantEnqueue ? { tenantEnqueue } : true,
    // The servers and the API in worker threads: the local cloud uses every core, as AWS would.
    threads: true,
  });
});
const dev = LOCAL_API_KEYS[0]!;
// The CLI finds this cloud through the data dir, whatever PORT it was started on.
writeLocalEndpoint(dataDir, { url: cloud.apiUrl, apiKey: dev.key });
const width = Math.max(...cloud.apiKeys.map(({ key }) => key.length));
const keyLines = cloud.apiKeys.map(({ key, principal }, i) => `  ${i === 0 ? 'API keys  ' : '          '}   ${key.padEnd(width)}   (tenant "${principal.tenant}", scopes ${principal.scopes.join(', ')})`).join('\n');

console.log(`
Conveyor local cloud is up (${Date.now() - started} ms)

  API          ${cloud.apiUrl}   (answers only to Host 127.0.0.1, localhost or [::1])
  Dashboard    ${cloud.dashboardUrl ?? '(off)'}
${keyLines}
  DynamoDB     ${cloud.endpoints.dynamodb}
  SQS          ${cloud.endpoints.sqs}
  SES          ${cloud.endpoints.ses}   (the SES API the email jobs send through)
  S3           ${cloud.endpoints.s3}   (PDFs; download through the URL in GET /v1/jobs/{id})
  Lambda       ${cloud.endpoints.lambda}   (event source mappings: pausing a job type disables its pollers)
  Mail inbox   ${cloud.inbox.url}   (every e-mail the email jobs send)
  Data         ${dataDir}
  Upstash      ${cloud.upstash ? `${cloud.upstash.url}  (token ${cloud.upstash.token})` : '—'}
${cloud.notices.map((line) => `  ${line}`).join('\n')}

Try it:
  curl -s -X POST ${cloud.apiUrl}/v1/jobs -H "authorization: Bearer ${dev.key}" -H 'content-type: application/json' \\
    -d '{"type":"analysis","payload":{"toolId":"t-1","url":"https://example.com","description":"A fast, reliable API for developers."}}'

Ctrl-C stops: polling ends, jobs under way finish (up to 10 s; the rest go back to their queue), then it exits.
Queued jobs persist under the data dir and run after the next start.
`);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) {
    console.log('second signal: exiting now');
    process.exit(130);
  }
  stopping = true;
  console.log(`\n${signal}: stopping — finishing jobs under way…`);
  await cloud.stop();
  removeLocalEndpoint(dataDir);
  console.log('stopped cleanly');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
