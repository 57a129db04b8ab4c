import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLambdaClient, createS3Client, createSesClient, type AwsClientSettings } from '../../functions/adapters/aws/clients.js';
import { LambdaEventSources } from '../../functions/adapters/aws/lambda-event-sources.js';
import type { LambdaMappingsClient } from '../../functions/adapters/aws/lambda-mappings-client.js';
import { S3BlobStore } from '../../functions/adapters/aws/s3-blob-store.js';
import { S3ObjectClient } from '../../functions/adapters/aws/s3-object-client.js';
import { SesMailer } from '../../functions/adapters/aws/ses-mailer.js';
import type { SqsEventSourceMapping } from '../../local/event-source-mapping.js';
import { localMappingUuid, startLocalLambda, type LocalLambdaServer } from '../../local/lambda.js';
import { startS3 } from '../../local/s3.js';
import type { LocalService } from '../../local/dynamodb.js';
import { startSes, type LocalSes } from '../../local/ses.js';
import { readInbox } from '../helpers/inbox.js';

/**
 * The functions' S3, Lambda and SES clients (clients.ts: createS3Client, createLambdaClient,
 * createSesClient — what the Lambdas build) against the local S3, Lambda and SES servers, checked
 * against the real SDK clients: what one writes the other reads, and SES stores what the SDK's would. The local S3 (s3rver) checks the access key and a presigned URL's
 * expiry but not SigV4 signatures; test/unit/adapters/s3-object-client.test.ts and
 * ses-email-client.test.ts check those.
 */
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const BUCKET = 'conveyor-test-documents';
const KEYS = ['plain.json', 'tenants/acme%20co/jobs/a b/result.json', 'ünï©ødé/日本語.pdf', 'a+b=c&d/100% done.txt'];

let s3Server: LocalService;
let lambdaServer: LocalLambdaServer;
let sesServer: LocalSes;
let settings: AwsClientSettings;
let light: S3ObjectClient;
let sdk: S3Client;

beforeAll(async () => {
  [s3Server, lambdaServer, sesServer] = await Promise.all([startS3({ buckets: [BUCKET], credentials }), startLocalLambda(), startSes()]);
  settings = { region: 'us-east-1', credentials, endpoints: { s3: s3Server.endpoint, lambda: lambdaServer.endpoint, sesv2: sesServer.endpoint } };
  light = createS3Client(settings);
  sdk = new S3Client({ region: 'us-east-1', endpoint: s3Server.endpoint, forcePathStyle: true, credentials });
});

afterAll(async () => {
  light?.destroy();
  sdk?.destroy();
  await Promise.all([s3Server?.close(), lambdaServer?.close(), sesServer?.close()]);
});

describe('Contract: S3ObjectClient against the local S3, with the real S3Client on the other side', () => {
  it.each(KEYS)('what it puts the SDK reads, byte for byte, with its content type: %s', async (key) => {
    // Prepare
    const body = new TextEncoder().encode(`{"key":${JSON.stringify(key)}}`);

    // Act
    await light.putObject({ bucket: BUCKET, key }, body, { contentType: 'application/json' });
    const read = await sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));

    // Assess
    expect(await read.Body!.transformToByteArray()).toEqual(body);
    expect(read.ContentType).toBe('application/json');
    expect(read.ContentLength).toBe(body.byteLength);
  });

  it.each(KEYS)('what the SDK puts it reads, and deletes: %s', async (key) => {
    // Prepare
    const body = new Uint8Array([0, 255, 1, 254, ...new TextEncoder().encode(key)]);
    await sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: 'application/octet-stream' }));

    // Act
    const read = await light.getObject({ bucket: BUCKET, key });
    await light.deleteObject({ bucket: BUCKET, key });

    // Assess
    expect(read).toEqual(body);
    await expect(sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).rejects.toMatchObject({ name: 'NoSuchKey' });
  });

  it('through the blob store: a missing key is no object, a delete of one is nothing, a large body round-trips', async () => {
    // Prepare
    const blobs = new S3BlobStore({ client: light, bucket: BUCKET });
    const large = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 31) % 251);

    // Act
    const missing = await blobs.get('tenants/t/jobs/never/payload.json');
    await blobs.delete('tenants/t/jobs/never/payload.json');
    await blobs.put('tenants/t/large.bin', large, { contentType: 'application/octet-stream' });
    const back = await blobs.get('tenants/t/large.bin');

    // Assess
    expect(missing).toBeUndefined();
    // Buffer.equals: a deep toEqual over 3 MB is slow
    expect(back && Buffer.from(back).equals(Buffer.from(large))).toBe(true);
  });

  it('a missing bucket is an error named as S3 names it', async () => {
    // Act
    const error = await light.putObject({ bucket: 'no-such-bucket', key: 'k' }, new Uint8Array([1]), { contentType: 'text/plain' }).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } });
  });

  it('the presigned URL downloads the object with fetch, with the Content-Disposition it names', async () => {
    // Prepare
    const key = KEYS[1]!;
    const body = new TextEncoder().encode('{"result":true}');
    await sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: 'application/json' }));
    const blobs = new S3BlobStore({ client: light, bucket: BUCKET });

    // Act
    const url = await blobs.downloadUrl(key, { expiresInSeconds: 60, fileName: 'result-1.json' });
    const response = await fetch(url);

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="result-1.json"');
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(body);
    await sdk.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
  });

  it('the local S3 refuses an expired presigned URL', async () => {
    // Prepare: signed two hours ago for one minute
    await light.putObject({ bucket: BUCKET, key: 'expired.txt' }, new Uint8Array([1]), { contentType: 'text/plain' });
    const past = new S3ObjectClient({ region: 'us-east-1', endpoint: s3Server.endpoint, credentials, now: () => new Date(Date.now() - 2 * 3600_000) });

    // Act
    const response = await fetch(await past.presignGetObject({ bucket: BUCKET, key: 'expired.txt' }, { expiresInSeconds: 60 }));

    // Assess
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('Request has expired');
    past.destroy();
  });
});

describe('Contract: LambdaMappingsClient against the local Lambda API, with the real LambdaClient reading back', () => {
  const functionName = 'conveyor-local-email-worker';
  const arn = 'arn:aws:sqs:us-east-1:000000000000:conveyor-local-email';
  const uuid = localMappingUuid(functionName, arn);
  let client: LambdaMappingsClient;
  let sdkLambda: LambdaClient;

  beforeAll(() => {
    const mapping = { start: () => undefined, stop: async () => 0 } as unknown as SqsEventSourceMapping;
    lambdaServer.register({ uuid, functionName, eventSourceArn: arn, batchSize: 10, batchingWindowSeconds: 0, maxConcurrency: 2, mapping });
    client = createLambdaClient(settings);
    sdkLambda = new LambdaClient({ region: 'us-east-1', endpoint: lambdaServer.endpoint, credentials });
  });

  afterAll(() => {
    client?.destroy();
    sdkLambda?.destroy();
  });

  it('pauses and resumes a mapping through LambdaEventSources, as the API does', async () => {
    // Prepare
    const sources = new LambdaEventSources({ client, mappings: { email: [uuid] } });
    const state = async () => (await sdkLambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State;

    // Act / Assess
    await sources.setEnabled('email', false);
    await expect.poll(state).toBe('Disabled');
    await sources.setEnabled('email', true);
    expect(await state()).toBe('Enabled');
  });

  it('a mapping that does not exist is ResourceNotFoundException', async () => {
    // Act
    const error = await client.updateEventSourceMapping({ UUID: '00000000-0000-4000-a000-000000000000', Enabled: false }).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
  });
});

describe('Contract: SesEmailClient against the local SES, as the real SESv2Client sends', () => {
  const email = {
    from: 'Conveyor <jobs@example.com>',
    to: ['ana@example.com', 'bo@example.com'],
    cc: ['cc@example.com'],
    bcc: ['bcc@example.com'],
    replyTo: ['support@example.com'],
    subject: 'Ünïcode “subject” & more',
    html: '<!DOCTYPE html><p>Héllo &amp; 100% — <a href="https://example.com/?a=1&b=2">link</a></p>',
    text: 'Héllo & 100% — https://example.com/?a=1&b=2',
  };

  it('the mailer, through createSesClient, puts the mail in the inbox with every field, as the SDK\'s client does', async () => {
    // Prepare
    const client = createSesClient(settings);
    const sdk = new SESv2Client({ region: 'us-east-1', endpoint: sesServer.endpoint, credentials, maxAttempts: 1 });

    // Act
    const { messageId } = await new SesMailer({ client, configurationSetName: 'conveyor-test' }).send(email);
    const viaSdk = await sdk.send(new SendEmailCommand({
      FromEmailAddress: email.from,
      Destination: { ToAddresses: email.to, CcAddresses: email.cc, BccAddresses: email.bcc },
      ReplyToAddresses: email.replyTo,
      Content: { Simple: { Subject: { Data: email.subject, Charset: 'UTF-8' }, Body: { Html: { Data: email.html, Charset: 'UTF-8' }, Text: { Data: email.text, Charset: 'UTF-8' } } } },
      ConfigurationSetName: 'conveyor-test',
    }));
    client.destroy();
    sdk.destroy();

    // Assess
    const inbox = await readInbox(sesServer.storeUrl);
    const stored = inbox.find((m) => m.messageId === messageId);
    const storedViaSdk = inbox.find((m) => m.messageId === viaSdk.MessageId);
    expect(stored).toMatchObject({
      from: email.from,
      replyTo: email.replyTo,
      destination: { to: email.to, cc: email.cc, bcc: email.bcc },
      subject: email.subject,
      body: { html: email.html, text: email.text },
    });
    const { messageId: _a, at: _b, ...fields } = stored!;
    const { messageId: _c, at: _d, ...fieldsViaSdk } = storedViaSdk!;
    expect(fields).toEqual(fieldsViaSdk);
  });
});
