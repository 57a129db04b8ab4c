import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../../shared/config/table.js';
import { JobValidationError } from '../../../shared/domain/errors.js';
import { isJobId } from '../../../shared/domain/job-id.js';
import { dynamoFailure } from './sdk-errors.js';

/**
 * Opaque, signed page cursors over job-id sort keys. A cursor names a position (the id of the last
 * item returned: ids sort by creation time across all of a tenant's shards) and is valid only for
 * the listing it was issued for (`scope`: caller, partition and filters). It carries an HMAC-SHA256
 * (128 bits kept) of scope and position under the stage's cursor key, so a cursor the API did not
 * issue, one changed by a byte, or one issued to another tenant or for other filters is a 400 naming
 * `cursor` — never a DynamoDB error, never a read the caller could not have paged to.
 *
 * Layout, base64url: version (1 byte) ‖ job id (16 bytes) ‖ MAC (16 bytes).
 */
const VERSION = 2;
const MAC_BYTES = 16;
const CURSOR_BYTES = 1 + 16 + MAC_BYTES;

/** Where the key comes from: read once, then cached (see `tableCursorKey`). */
export type CursorKeySource = () => Promise<Uint8Array>;

export class PageCursors {
  readonly #key: CursorKeySource;

  constructor(key: CursorKeySource) {
    this.#key = key;
  }

  async encode(scope: string, jobId: string): Promise<string> {
    const id = Buffer.from(jobId.replaceAll('-', ''), 'hex');
    const mac = await this.#mac(scope, id);
    return Buffer.concat([Buffer.of(VERSION), id, mac]).toString('base64url');
  }

  /** The job id inside a cursor issued for `scope`; throws JobValidationError (400, `cursor`) otherwise. */
  async decode(scope: string, cursor: string): Promise<string> {
    const invalid = () => new JobValidationError('invalid cursor', [{ path: 'cursor', message: 'not a cursor this API issued for this listing (the same key, filters and job type)' }]);
    if (!/^[A-Za-z0-9_-]{44}$/.test(cursor)) throw invalid();
    const bytes = Buffer.from(cursor, 'base64url');
    if (bytes.length !== CURSOR_BYTES || bytes[0] !== VERSION) throw invalid();
    const id = bytes.subarray(1, 17);
    const expected = await this.#mac(scope, id);
    if (!timingSafeEqual(expected, bytes.subarray(17))) throw invalid();
    const hex = id.toString('hex');
    const jobId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    if (!isJobId(jobId)) throw invalid();
    return jobId;
  }

  async #mac(scope: string, id: Buffer): Promise<Buffer> {
    return createHmac('sha256', await this.#key()).update(`conveyor-cursor|${scope}|`).update(id).digest().subarray(0, MAC_BYTES);
  }
}

/**
 * The stage's cursor key, kept in the job table itself (`CONFIG#cursor-key`): created once, by
 * whichever API instance first needs it (a conditional put, so racing instances agree), then read
 * once per instance. The table is the stage's own, so the key is per stage and needs no deployment
 * step, no extra permission and no secret to fetch at cold start. It guards positions in listings,
 * not data: anyone who could read it could read the jobs themselves.
 */
export function tableCursorKey(client: DynamoDBDocumentClient, tableName: string): CursorKeySource {
  let cached: Promise<Uint8Array> | undefined;
  const load = async (): Promise<Uint8Array> => {
    const key = keys.config('cursor-key');
    try {
      const existing = (await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;
      if (typeof existing?.secret === 'string') return Buffer.from(existing.secret, 'base64');
      const secret = randomBytes(32);
      try {
        await client.send(new PutCommand({ TableName: tableName, Item: { ...key, secret: secret.toString('base64') }, ConditionExpression: 'attribute_not_exists(pk)' }));
        return secret;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Another instance created it first: use theirs.
        const winner = (await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;
        if (typeof winner?.secret !== 'string') throw new Error('cursor key vanished after a conflicting create', { cause: error });
        return Buffer.from(winner.secret, 'base64');
      }
    } catch (error) {
      throw dynamoFailure('reading the cursor key', error, tableName);
    }
  };
  return () => (cached ??= load().catch((error: unknown) => {
    cached = undefined; // a failed read is tried again by the next request
    throw error;
  }));
}
