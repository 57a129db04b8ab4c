import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys, TABLE_LAYOUT } from '../../../shared/config/table.js';
import { tenantHash } from '../../../shared/domain/job-id.js';
import type { TenantActivity } from '../../../shared/ports/recovery.js';
import { dynamoFailure } from './sdk-errors.js';

export interface DynamoTenantActivityOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** An active-tenant item outlives its day by this much: the sweep reads a day or so back. */
const KEEP_SECONDS = 3 * 86_400;

/**
 * TenantActivity as one small item per tenant hash and UTC day (`ACTIVE#<day>`, sk = hash), put once
 * per process and day: a warm API function notes each tenant once a day, so the cost per job is nil.
 */
export class DynamoTenantActivity implements TenantActivity {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #noted = new Set<string>();

  constructor(options: DynamoTenantActivityOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async note(tenant: string, at: Date): Promise<void> {
    const day = at.toISOString().slice(0, 10);
    const hash = tenantHash(tenant);
    const memo = `${day}|${hash}`;
    if (this.#noted.has(memo)) return;
    try {
      await this.#client.send(new PutCommand({
        TableName: this.#tableName,
        Item: { ...keys.activeTenant(day, hash), [TABLE_LAYOUT.ttlAttribute]: Math.floor(Date.parse(`${day}T00:00:00Z`) / 1000) + 86_400 + KEEP_SECONDS },
      }));
    } catch (error) {
      // A configuration fault, a bug, or unavailable (sdk-errors.ts).
      throw dynamoFailure('tenant activity note', error, this.#tableName);
    }
    if (this.#noted.size > 10_000) this.#noted.clear();
    this.#noted.add(memo);
  }
}
