import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../../shared/config/table.js';
import type { ConveyorError } from '../../../shared/domain/errors.js';
import { TransitionConflictError } from '../../../shared/domain/errors.js';
import { dynamoFailure } from './sdk-errors.js';
import type { SideEffectLedger, SideEffectMark } from '../../../shared/ports/side-effects.js';

export interface DynamoSideEffectLedgerOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly now?: () => Date;
}

/** The attribute on the job item that holds the mark; not part of the public job view. */
const ATTRIBUTE = 'sideEffect';

/**
 * The side-effect ledger as one attribute on the job's own item: every mark is a conditional
 * UpdateItem, so two deliveries of the same job can never both begin a send. Each mark is one
 * write unit (the attribute is small), two per e-mail in all.
 */
export class DynamoSideEffectLedger implements SideEffectLedger {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #now: () => Date;

  constructor(options: DynamoSideEffectLedgerOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#now = options.now ?? (() => new Date());
  }

  async read(jobId: string): Promise<SideEffectMark | undefined> {
    const key = keys.job(jobId);
    if (!key) return undefined;
    try {
      const output = await this.#client.send(
        new GetCommand({ TableName: this.#tableName, Key: key, ConsistentRead: true, ProjectionExpression: '#mark', ExpressionAttributeNames: { '#mark': ATTRIBUTE } }),
      );
      return output.Item?.[ATTRIBUTE] as SideEffectMark | undefined;
    } catch (error) {
      throw unavailable('read', error);
    }
  }

  async begin(jobId: string, attempt: number): Promise<void> {
    const mark: SideEffectMark = { state: 'started', attempt, at: this.#now().toISOString() };
    await this.#update(jobId, {
      UpdateExpression: 'SET #mark = :mark',
      ConditionExpression: '#status = :running AND #attempt = :attempt AND attribute_not_exists(#mark)',
      ExpressionAttributeNames: { '#mark': ATTRIBUTE, '#status': 'status', '#attempt': 'attempt' },
      ExpressionAttributeValues: { ':mark': mark, ':running': 'RUNNING', ':attempt': attempt },
    }, `cannot begin the side effect: the job is not RUNNING at attempt ${attempt}, or one was already begun`);
  }

  async complete(jobId: string, attempt: number, reference: string): Promise<void> {
    const mark: SideEffectMark = { state: 'done', attempt, at: this.#now().toISOString(), reference };
    await this.#update(jobId, {
      UpdateExpression: 'SET #mark = :mark',
      ConditionExpression: '#mark.#state = :started AND #mark.#attempt = :attempt',
      ExpressionAttributeNames: { '#mark': ATTRIBUTE, '#state': 'state', '#attempt': 'attempt' },
      ExpressionAttributeValues: { ':mark': mark, ':started': 'started', ':attempt': attempt },
    }, `cannot complete the side effect: attempt ${attempt} did not begin it`);
  }

  async abandon(jobId: string, attempt: number): Promise<void> {
    await this.#update(jobId, {
      UpdateExpression: 'REMOVE #mark',
      ConditionExpression: '#mark.#state = :started AND #mark.#attempt = :attempt',
      ExpressionAttributeNames: { '#mark': ATTRIBUTE, '#state': 'state', '#attempt': 'attempt' },
      ExpressionAttributeValues: { ':started': 'started', ':attempt': attempt },
    }, `cannot abandon the side effect: attempt ${attempt} did not begin it`);
  }

  async #update(jobId: string, input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'>, conflictMessage: string): Promise<void> {
    const key = keys.job(jobId);
    if (!key) throw new TransitionConflictError(jobId, `job ${jobId}: no such job`);
    try {
      await this.#client.send(new UpdateCommand({ TableName: this.#tableName, Key: key, ...input }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new TransitionConflictError(jobId, `job ${jobId}: ${conflictMessage}`);
      throw unavailable('update', error);
    }
  }
}

/** The named error of a failed call (sdk-errors.ts: configuration fault, bug, or unavailable). */
function unavailable(operation: string, error: unknown): ConveyorError {
  return dynamoFailure(`side-effect ledger ${operation}`, error);
}
