import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoJobStore } from '../../functions/adapters/aws/dynamo-job-store.js';
import { TransitionConflictError } from '../../shared/domain/errors.js';
import { canTransition, isTerminal, JOB_STATUSES, sourcesOf, type JobStatus } from '../../shared/domain/status.js';
import type { JobStore } from '../../shared/ports/job-store.js';
import { queuedJob } from '../helpers/factories.js';
import { MemoryJobStore } from '../helpers/memory-job-store.js';
import { startLocalTable, type LocalTable } from '../helpers/local-table.js';

let table: LocalTable;
let dynamoStore: JobStore;

beforeAll(async () => {
  table = await startLocalTable();
  dynamoStore = new DynamoJobStore({ client: table.client, tableName: 'jobs' });
});

afterAll(async () => {
  await table?.close();
});

const statusArb = fc.constantFrom(...JOB_STATUSES);

describe('Property: the state machine', () => {
  it('agrees with itself: sourcesOf is the inverse of canTransition, terminal jobs only go back to QUEUED', () => {
    fc.assert(
      fc.property(statusArb, statusArb, (from, to) => {
        expect(sourcesOf(to).includes(from)).toBe(canTransition(from, to));
        if (isTerminal(from) && canTransition(from, to)) expect(to).toBe('QUEUED');
        if (from === 'SUCCEEDED' || from === 'CANCELLED' || from === 'EXPIRED') expect(canTransition(from, to)).toBe(false);
        // Only a job that never started expires.
        if (to === 'EXPIRED' && canTransition(from, to)) expect(from).toBe('QUEUED');
      }),
    );
  });

  it('reaches every status from QUEUED', () => {
    const seen = new Set<JobStatus>(['QUEUED']);
    for (let grew = true; grew; ) {
      grew = false;
      for (const from of [...seen]) for (const to of JOB_STATUSES) if (canTransition(from, to) && !seen.has(to)) grew = seen.add(to).size > 0;
    }
    expect([...seen].sort()).toEqual([...JOB_STATUSES].sort());
  });
});

type Op =
  | { kind: 'transition'; to: JobStatus; attemptAtMost?: number; expectAttempt?: number; setAttempt: number }
  | { kind: 'progress'; attempt: number; progress: number }
  | { kind: 'cancel' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('transition' as const), to: statusArb, attemptAtMost: fc.option(fc.nat(4), { nil: undefined }), expectAttempt: fc.option(fc.nat(4), { nil: undefined }), setAttempt: fc.nat(4) }),
  fc.record({ kind: fc.constant('progress' as const), attempt: fc.nat(4), progress: fc.nat(100) }),
  fc.record({ kind: fc.constant('cancel' as const) }),
);

async function apply(store: JobStore, jobId: string, op: Op): Promise<string> {
  try {
    if (op.kind === 'transition') {
      // The workers' rule: a transition names every legal source of its target.
      const record = await store.transition({
        jobId,
        from: sourcesOf(op.to),
        to: op.to,
        ...(op.attemptAtMost !== undefined ? { attemptAtMost: op.attemptAtMost } : {}),
        ...(op.expectAttempt !== undefined ? { expectAttempt: op.expectAttempt } : {}),
        set: { attempt: op.setAttempt },
      });
      return `ok ${record.status}@${record.attempt}`;
    }
    if (op.kind === 'progress') return `ok ${(await store.recordProgress(jobId, op.attempt, op.progress)).progress}`;
    return `ok ${(await store.requestCancel(jobId)).cancelRequested}`;
  } catch (error) {
    if (error instanceof TransitionConflictError) return 'conflict';
    throw error;
  }
}

describe('Property: DynamoJobStore and MemoryJobStore apply the same conditions', () => {
  it('gives the same answer and the same record for any sequence of conditional writes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 12 }), async (ops) => {
        // Prepare
        const memory = new MemoryJobStore();
        const job = queuedJob();
        await memory.create(job);
        await dynamoStore.create(job);

        // Act
        const answers: [string, string][] = [];
        for (const op of ops) answers.push([await apply(memory, job.jobId, op), await apply(dynamoStore, job.jobId, op)]);

        // Assess
        for (const [fromMemory, fromDynamo] of answers) expect(fromDynamo).toBe(fromMemory);
        const [m, d] = [await memory.get(job.jobId), await dynamoStore.get(job.jobId)];
        expect({ status: d?.status, attempt: d?.attempt, progress: d?.progress, cancelRequested: d?.cancelRequested }).toEqual({
          status: m?.status, attempt: m?.attempt, progress: m?.progress, cancelRequested: m?.cancelRequested,
        });
      }),
      { numRuns: 25 },
    );
  });
});
