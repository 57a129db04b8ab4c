/**
 * `conveyor`: the operator CLI over Conveyor's HTTP API, built on `conveyor/client`. Endpoint and key
 * come from flags, then CONVEYOR_ENDPOINT / CONVEYOR_API_KEY, then the running local cloud (see
 * resolveTarget). Errors print one clear line (plus the fields at fault) to stderr and exit
 * non-zero: 1 for an API or network error, 2 for usage.
 */
import { Command, CommanderError, Option } from 'commander';
import { ConnectionError, ConveyorApiError } from 'conveyor/client';
import { registerJobCommands } from './commands/jobs.js';
import { registerQueueCommands } from './commands/queues.js';
import { createContext, UsageError } from './context.js';
import { paint, processOutput } from './format.js';

const output = processOutput();
const ctx = createContext(output);

const program = new Command('conveyor')
  .description('Operate a Conveyor job queue: enqueue, watch, list, inspect and redrive dead letters')
  .addOption(new Option('-e, --endpoint <url>', 'API endpoint (default: the running local cloud, else http://localhost:$PORT)').env('CONVEYOR_ENDPOINT'))
  .addOption(new Option('-k, --key <apiKey>', "API key (default: the local cloud's development key)").env('CONVEYOR_API_KEY'))
  .option('--json', 'machine-readable JSON output', false)
  .showHelpAfterError()
  .exitOverride();

registerJobCommands(program, ctx);
registerQueueCommands(program, ctx);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = report(error);
}

function report(error: unknown): number {
  if (error instanceof CommanderError) {
    // Help and version are "errors" to commander; its own messages are already printed.
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help' ? 0 : 2;
  }
  if (error instanceof UsageError) {
    output.err(`${paint(output, 'red', 'error:')} ${error.message}`);
    return 2;
  }
  if (error instanceof ConveyorApiError) {
    output.err(`${paint(output, 'red', 'error:')} ${error.message} (${error.status} ${error.code})`);
    for (const issue of error.issues) output.err(`  ${paint(output, 'yellow', issue.path)}: ${issue.message}`);
    if (error.status === 403) output.err('  this command needs an API key with the admin scope (dlq, pause and resume: operator) — --key or CONVEYOR_API_KEY');
    return 1;
  }
  if (error instanceof ConnectionError) {
    output.err(`${paint(output, 'red', 'error:')} ${error.message} — is the local cloud running (\`npm start\`), or is --endpoint right?`);
    return 1;
  }
  output.err(`${paint(output, 'red', 'error:')} ${error instanceof Error ? error.message : String(error)}`);
  return 1;
}
