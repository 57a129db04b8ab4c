import { describe, expect, it } from 'vitest';
import { ConfigurationError, DependencyUnavailableError } from '../../../shared/domain/errors.js';
import { LambdaInvocations } from '../../../shared/logging/invocation.js';
import { createLogger, JsonLogger, type LogLevel } from '../../../shared/logging/logger.js';
import { withLogFields } from '../../../shared/logging/scope.js';
import { parseConfig } from '../../../shared/config/env.js';

type Line = Record<string, unknown>;

function capture(level: LogLevel = 'debug') {
  const lines: Line[] = [];
  const raw: string[] = [];
  const logger = new JsonLogger({ level, serviceName: 'conveyor-test', fields: { fn: 'api' }, write: (line) => (raw.push(line), lines.push(JSON.parse(line) as Line)) });
  return { logger, lines, raw };
}

const context = (awsRequestId: string) => ({ awsRequestId, functionName: 'conveyor-test-api', invokedFunctionArn: 'arn:aws:lambda:us-east-1:1:function:conveyor-test-api', memoryLimitInMB: '512' });

describe('Class: JsonLogger', () => {
  it('writes one JSON object per line with Powertools fields, the logger\'s and the call\'s', () => {
    // Prepare
    const { logger, lines, raw } = capture();

    // Act
    logger.child({ jobId: 'j-1' }).info('job started', { attempt: 2 });

    // Assess
    expect(raw).toHaveLength(1);
    expect(raw[0]).not.toContain('\n');
    expect(lines[0]).toMatchObject({ level: 'INFO', message: 'job started', service: 'conveyor-test', fn: 'api', jobId: 'j-1', attempt: 2 });
    expect(Date.parse(String(lines[0]!.timestamp))).not.toBeNaN();
  });

  it('puts the Lambda request id and cold start on every line of an invocation, cold only on the first', async () => {
    // Prepare
    const { logger, lines } = capture();
    const invocations = new LambdaInvocations();

    // Act
    await invocations.run(context('req-1'), { correlationId: 'corr-1' }, async () => {
      logger.info('first');
      await Promise.resolve();
      logger.child({ jobId: 'j' }).warn('second');
    });
    invocations.run(context('req-2'), {}, () => logger.info('third'));
    logger.info('outside');

    // Assess
    expect(lines.map((l) => [l.message, l.function_request_id, l.cold_start, l.correlationId])).toEqual([
      ['first', 'req-1', true, 'corr-1'],
      ['second', 'req-1', true, 'corr-1'],
      ['third', 'req-2', false, undefined],
      ['outside', undefined, undefined, undefined],
    ]);
    expect(lines[0]).toMatchObject({ function_name: 'conveyor-test-api', function_arn: 'arn:aws:lambda:us-east-1:1:function:conveyor-test-api', function_memory_size: 512 });
  });

  it('keeps concurrent invocations apart', async () => {
    // Prepare
    const { logger, lines } = capture();
    const invocations = new LambdaInvocations();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));

    // Act: the first invocation logs after the second has started and logged
    const first = invocations.run(context('req-a'), { correlationId: 'a' }, async () => {
      await gate;
      logger.info('from a');
    });
    await invocations.run(context('req-b'), { correlationId: 'b' }, async () => {
      logger.info('from b');
      release();
    });
    await first;

    // Assess
    expect(lines.map((l) => [l.message, l.function_request_id, l.correlationId])).toEqual([
      ['from b', 'req-b', 'b'],
      ['from a', 'req-a', 'a'],
    ]);
  });

  it('an environment initialised ahead of traffic has no cold start', () => {
    // Prepare
    const { logger, lines } = capture();

    // Act
    new LambdaInvocations({ initializationType: 'provisioned-concurrency' }).run(context('r'), {}, () => logger.info('x'));

    // Assess
    expect(lines[0]).toMatchObject({ cold_start: false });
  });

  it('logs an error with its name, message, stack, code and cause', () => {
    // Prepare
    const { logger, lines } = capture();
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { name: 'TimeoutError' });
    const error = new DependencyUnavailableError('dynamodb', 'job store get failed', { cause });

    // Act
    logger.error('could not record the outcome', { error });

    // Assess
    const logged = lines[0]!.error as Record<string, unknown>;
    expect(logged).toMatchObject({ name: 'DependencyUnavailableError', message: 'job store get failed', code: 'DEPENDENCY_UNAVAILABLE', dependency: 'dynamodb' });
    expect(String(logged.stack)).toContain('DependencyUnavailableError: job store get failed');
    expect(String(logged.stack)).toContain('logger.test.ts');
    expect(logged.cause).toMatchObject({ name: 'TimeoutError', message: 'connect ECONNREFUSED 127.0.0.1:4566' });
    expect(String((logged.cause as Record<string, unknown>).stack)).toContain('TimeoutError');
  });

  it('a caller field named like a line key cannot overwrite it: it is kept as field_<name>', () => {
    // Prepare
    const { logger, lines } = capture();

    // Act
    logger.child({ service: 'spoofed', cold_start: 'x' }).info('real message', { level: 'FATAL', message: 'fake', timestamp: 'yesterday', function_request_id: 'forged' });

    // Assess
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'INFO',
      message: 'real message',
      service: 'conveyor-test',
      field_level: 'FATAL',
      field_message: 'fake',
      field_timestamp: 'yesterday',
      field_service: 'spoofed',
      field_cold_start: 'x',
      field_function_request_id: 'forged',
    });
    expect(lines[0]!.timestamp).not.toBe('yesterday');
    expect(lines[0]).not.toHaveProperty('function_request_id');
  });

  it('never throws on a BigInt, a cycle or a field that cannot be serialised', () => {
    // Prepare
    const { logger, lines } = capture();
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const hostile = { toJSON: () => { throw new Error('no'); } };

    // Act
    logger.info('big', { size: 12345678901234567890n, nested: { ids: [1n, 2n] } });
    logger.info('cycle', { cyclic, list: [cyclic] });
    logger.info('hostile', { hostile });

    // Assess
    expect(lines[0]).toMatchObject({ size: '12345678901234567890', nested: { ids: ['1', '2'] } });
    expect(lines[1]).toMatchObject({ cyclic: { name: 'loop' } });
    expect(lines[1]!.cyclic).not.toHaveProperty('self');
    expect(lines[2]).toMatchObject({ level: 'INFO', message: 'hostile', log_error: expect.stringContaining('no') });
  });

  it('drops lines below its level; silent drops everything', () => {
    // Prepare
    const warn = capture('warn');
    const silent = capture('silent');

    // Act
    for (const { logger } of [warn, silent]) {
      logger.debug('d');
      logger.info('i');
      logger.warn('w');
      logger.error('e');
    }

    // Assess
    expect(warn.lines.map((l) => l.level)).toEqual(['WARN', 'ERROR']);
    expect(silent.lines).toEqual([]);
  });

  it('logs the debug lines of a sampled invocation whatever the level, and only of that one', () => {
    // Prepare
    const { logger, lines } = capture('info');
    const draws = [0.05, 0.5];
    const invocations = new LambdaInvocations({ debugSampleRate: 0.1, random: () => draws.shift()! });

    // Act
    invocations.run(context('sampled'), {}, () => logger.debug('detail a'));
    invocations.run(context('not-sampled'), {}, () => logger.debug('detail b'));

    // Assess
    expect(lines.map((l) => [l.level, l.message, l.function_request_id])).toEqual([['DEBUG', 'detail a', 'sampled']]);
  });

  it('scope fields nest: an inner scope adds to the outer one', () => {
    // Prepare
    const { logger, lines } = capture();

    // Act
    withLogFields({ correlationId: 'c' }, () => withLogFields({ jobId: 'j' }, () => logger.info('inner')));

    // Assess
    expect(lines[0]).toMatchObject({ correlationId: 'c', jobId: 'j' });
  });
});

describe('Function: createLogger', () => {
  it('takes the level from LOG_LEVEL, in any case', () => {
    // Prepare
    const lines: Line[] = [];
    const config = parseConfig({ CONVEYOR_TABLE_NAME: 't', CONVEYOR_QUEUE_URLS: '{}', CONVEYOR_STAGE: 'prod', LOG_LEVEL: 'WARN' });

    // Act
    const logger = createLogger(config, { fn: 'api' }, { write: (line) => lines.push(JSON.parse(line) as Line) });
    logger.info('hidden');
    logger.warn('shown');

    // Assess
    expect(lines).toEqual([expect.objectContaining({ level: 'WARN', message: 'shown', service: 'conveyor-prod', fn: 'api' })]);
  });
});

describe('Function: parseConfig (logging settings)', () => {
  const base = { CONVEYOR_TABLE_NAME: 't', CONVEYOR_QUEUE_URLS: '{}' };

  it.each([
    ['LOG_LEVEL', 'verbose'],
    ['CONVEYOR_LOG_DEBUG_SAMPLE_RATE', '1.5'],
    ['CONVEYOR_LOG_DEBUG_SAMPLE_RATE', 'often'],
    ['CONVEYOR_TRACING', 'yes'],
  ])('refuses %s=%s with a ConfigurationError naming it', (name, value) => {
    // Act
    const act = () => parseConfig({ ...base, [name]: value });

    // Assess
    expect(act).toThrow(ConfigurationError);
    expect(act).toThrow(new RegExp(`${name}:`));
  });

  it('defaults to info, no debug sampling, tracing off', () => {
    // Act
    const config = parseConfig(base);

    // Assess
    expect(config).toMatchObject({ LOG_LEVEL: 'info', CONVEYOR_LOG_DEBUG_SAMPLE_RATE: 0, CONVEYOR_TRACING: 'off' });
  });
});
