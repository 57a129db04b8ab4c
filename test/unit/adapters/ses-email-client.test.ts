import { SendEmailCommand, SESv2Client, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SesEmailClient, type SendEmailInput } from '../../../functions/adapters/aws/ses-email-client.js';
import { SesMailer } from '../../../functions/adapters/aws/ses-mailer.js';
import { AwsServiceError } from '../../../functions/adapters/aws/signed-http.js';
import { ConfigurationError, DeliveryUncertainError, PermanentJobError, RetryableJobError } from '../../../shared/domain/errors.js';
import { refusingEndpoint, startScriptedServer, type ScriptedServer } from '../../helpers/scripted-server.js';
import { verifySigV4 } from '../../helpers/sigv4-verifier.js';

/**
 * The small SES v2 client against a scripted HTTP server on 127.0.0.1 (test/helpers/scripted-server.ts):
 * what it sends, how it is signed, and that it tries once — whatever SES answers, or does not.
 */
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session/token+with=chars' };
const SECRETS = { [CREDENTIALS.accessKeyId]: CREDENTIALS.secretAccessKey };
const OK = { status: 200, body: '{"MessageId":"0100018c-msg-1"}', headers: { 'content-type': 'application/json' } };
/** A short timeout for the tests that wait on a server that never answers (SES's is 10 s: clients.ts). */
const SHORT_TIMEOUT_MS = 500;

const MAIL: SendEmailInput = {
  FromEmailAddress: 'Conveyor <jobs@example.com>',
  Destination: { ToAddresses: ['a@example.com'], CcAddresses: ['c@example.com'], BccAddresses: ['b@example.com'] },
  ReplyToAddresses: ['reply@example.com'],
  Content: { Simple: { Subject: { Data: 'Ünïcode “subject”', Charset: 'UTF-8' }, Body: { Html: { Data: '<p>héllo &amp; 100%</p>', Charset: 'UTF-8' }, Text: { Data: 'héllo & 100%', Charset: 'UTF-8' } } } },
  ConfigurationSetName: 'conveyor-prod',
};
const EMAIL = { from: 'jobs@example.com', to: ['a@example.com'], subject: 's', html: '<p>h</p>', text: 't' };

let server: ScriptedServer;

beforeAll(async () => {
  server = await startScriptedServer(OK);
});

afterEach(() => {
  server.reset();
});

afterAll(async () => {
  await server.close();
});

const ses = (options: { endpoint?: string; requestTimeoutMs?: number } = {}) =>
  new SesEmailClient({ region: 'eu-west-1', endpoint: options.endpoint ?? server.endpoint, credentials: CREDENTIALS, requestTimeoutMs: options.requestTimeoutMs ?? 10_000 });

async function failure(work: () => Promise<unknown>): Promise<Error> {
  const error = await work().then(() => undefined, (e: unknown) => e as Error);
  if (!error) throw new Error('the call resolved; expected it to fail');
  return error;
}

describe('Class: SesEmailClient — the request', () => {
  it('sends SendEmail as the SDK\'s SESv2Client sends it: same path and body, signed for `ses` (checked by a verifier that accepts both)', async () => {
    // Prepare: what the real SDK sends for the same input
    const sdk = new SESv2Client({ region: 'eu-west-1', endpoint: server.endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
    await sdk.send(new SendEmailCommand(structuredClone(MAIL) as SendEmailCommandInput));
    sdk.destroy();
    const [fromSdk] = server.received.splice(0);

    // Act
    const client = ses();
    const output = await client.sendEmail(MAIL);
    client.destroy();

    // Assess
    const [sent] = server.received;
    expect(output).toEqual({ MessageId: '0100018c-msg-1' });
    expect(server.received).toHaveLength(1);
    expect([fromSdk, sent].map((r) => verifySigV4(r!, SECRETS, { doubleEncodePath: true }))).toEqual([{ ok: true }, { ok: true }]);
    expect(`${sent!.method} ${sent!.url}`).toBe(`${fromSdk!.method} ${fromSdk!.url}`);
    expect(`${sent!.method} ${sent!.url}`).toBe('POST /v2/email/outbound-emails');
    expect(JSON.parse(new TextDecoder().decode(sent!.body))).toEqual(JSON.parse(new TextDecoder().decode(fromSdk!.body)));
    expect(JSON.parse(new TextDecoder().decode(sent!.body))).toEqual(MAIL);
    expect(sent!.headers).toMatchObject({ 'content-type': 'application/json', 'x-amz-security-token': CREDENTIALS.sessionToken });
    expect(sent!.headers['authorization']).toContain('/eu-west-1/ses/aws4_request');
  });

  it('a tampered body fails the verifier (it can fail)', async () => {
    // Act
    await ses().sendEmail(MAIL);
    const tampered = { ...server.received[0]!, body: new TextEncoder().encode(new TextDecoder().decode(server.received[0]!.body).replace('a@example.com', 'x@example.com')) };

    // Assess
    expect(verifySigV4(tampered, SECRETS, { doubleEncodePath: true }).ok).toBe(false);
  });
});

describe('Class: SesEmailClient — answers and failures, one attempt each', () => {
  it.each([
    ['the x-amzn-ErrorType header', { 'x-amzn-errortype': 'MessageRejected:http://internal.amazon.com/coral/com.amazonaws.sesv2/' }, '{"message":"Email address is not verified."}', 'MessageRejected'],
    ['the body\'s code', {}, '{"code":"MessageRejected","message":"Email address is not verified."}', 'MessageRejected'],
    ['the body\'s __type', {}, '{"__type":"com.amazonaws.sesv2#MessageRejected","Message":"Email address is not verified."}', 'MessageRejected'],
  ])('names an SES error by %s, as the SDK does', async (_where, headers, body, name) => {
    // Prepare
    server.script.push({ status: 400, headers, body });

    // Act
    const error = await failure(() => ses().sendEmail(MAIL));

    // Assess
    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({ name, message: 'Email address is not verified.', $fault: 'client', $metadata: { httpStatusCode: 400, requestId: 'REQ-1', attempts: 1 } });
  });

  it.each([
    [500, 'InternalServiceErrorException', 'SES_UNAVAILABLE', RetryableJobError],
    [503, 'ServiceUnavailable', 'SES_UNAVAILABLE', RetryableJobError],
    [429, 'TooManyRequestsException', 'SES_THROTTLED', RetryableJobError],
    [400, 'MessageRejected', 'SES_REJECTED', PermanentJobError],
  ] as const)('does not retry a %i %s (one request seen); the mailer makes it %s', async (status, name, code, kind) => {
    // Prepare
    server.script.push({ status, headers: { 'x-amzn-errortype': name }, body: '{"message":"no"}' }, OK);

    // Act
    const error = await failure(() => new SesMailer({ client: ses() }).send(EMAIL));

    // Assess
    expect(server.received).toHaveLength(1);
    expect(error).toBeInstanceOf(kind);
    expect(error).toMatchObject({ code });
  });

  it('a sender the role may not use (403 AccessDeniedException) is a ConfigurationError for ses', async () => {
    // Prepare
    server.script.push({ status: 403, headers: { 'x-amzn-errortype': 'AccessDeniedException' }, body: '{"Message":"User is not authorized to perform ses:SendEmail"}' });

    // Act
    const error = await failure(() => new SesMailer({ client: ses() }).send(EMAIL));

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toMatchObject({ dependency: 'ses' });
    expect(error.message).toContain('not authorized to perform ses:SendEmail');
  });

  it('a send SES never answers fails after the request timeout as DeliveryUncertainError, sent once', async () => {
    // Prepare
    server.script.push('hold');

    // Act
    const error = await failure(() => new SesMailer({ client: ses({ requestTimeoutMs: SHORT_TIMEOUT_MS }) }).send(EMAIL));

    // Assess: the transport's timeout (TimeoutError, ETIMEDOUT), not retried
    expect(error).toBeInstanceOf(DeliveryUncertainError);
    expect(error.cause).toMatchObject({ name: 'TimeoutError', code: 'ETIMEDOUT' });
    await expect.poll(() => server.received.length).toBe(1);
  });

  it('a connection dropped after the request arrived is DeliveryUncertainError, not retried', async () => {
    // Prepare
    server.script.push('reset', OK);

    // Act
    const error = await failure(() => new SesMailer({ client: ses() }).send(EMAIL));

    // Assess
    expect(error).toBeInstanceOf(DeliveryUncertainError);
    expect(server.received).toHaveLength(1);
  });

  it('a refused connection (the request never left) is SES_UNREACHABLE, retryable', async () => {
    // Prepare
    const endpoint = await refusingEndpoint();

    // Act
    const error = await failure(() => new SesMailer({ client: ses({ endpoint }) }).send(EMAIL));

    // Assess
    expect(error).toBeInstanceOf(RetryableJobError);
    expect(error).toMatchObject({ code: 'SES_UNREACHABLE' });
    expect(error.cause).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('an aborted signal stops the send before it leaves; the mailer reports it uncertain, as it always has', async () => {
    // Prepare
    const controller = new AbortController();
    controller.abort();

    // Act
    const error = await failure(() => new SesMailer({ client: ses() }).send(EMAIL, { signal: controller.signal }));

    // Assess
    expect(error).toBeInstanceOf(DeliveryUncertainError);
    expect(error.cause).toMatchObject({ name: 'AbortError' });
    expect(server.received).toHaveLength(0);
  });

  it('a 200 without a message id is DeliveryUncertainError (SES took it; its id is unknown)', async () => {
    // Prepare
    server.script.push({ status: 200, body: '{}' });

    // Act
    const error = await failure(() => new SesMailer({ client: ses() }).send(EMAIL));

    // Assess
    expect(error).toBeInstanceOf(DeliveryUncertainError);
    expect(server.received).toHaveLength(1);
  });
});
