import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoRedriveTasks } from '../../functions/adapters/aws/dynamo-redrive-tasks.js';
import { RedriveInProgressError } from '../../shared/domain/errors.js';
import type { RedriveTaskRecord, RedriveTaskStore } from '../../shared/ports/redrive-tasks.js';
import { startLocalTable, type LocalTable } from '../helpers/local-table.js';
import { MemoryRedriveTasks } from '../helpers/memory-redrive-tasks.js';

let table: LocalTable;
const stores: Record<string, () => RedriveTaskStore> = {};
let queues = 0;

beforeAll(async () => {
  table = await startLocalTable();
  stores.DynamoRedriveTasks = () => new DynamoRedriveTasks({ client: table.client, tableName: table.tableName });
  stores.MemoryRedriveTasks = () => new MemoryRedriveTasks();
});

afterAll(async () => {
  await table?.close();
});

function newTask(overrides: Partial<RedriveTaskRecord> = {}): RedriveTaskRecord {
  const now = new Date().toISOString();
  return { taskId: 'task-1', queue: `q${++queues}`, state: 'REQUEUEING', createdAt: now, updatedAt: now, deadJobs: 3, dlqMessages: 3, requeued: 0, skipped: 0, failures: 0, pages: 0, nudge: 'n1', ...overrides };
}

describe.each(['DynamoRedriveTasks', 'MemoryRedriveTasks'])('Contract: RedriveTaskStore (%s)', (name) => {
  it('holds one active task per queue and replaces a finished one', async () => {
    // Prepare
    const store = stores[name]!();
    const task = newTask();
    await store.create(task);

    // Act
    const refused = await store.create({ ...task, taskId: 'task-2' }).catch((e: unknown) => e);
    await store.update(task.queue, { taskId: 'task-1', nudge: 'n1' }, { state: 'COMPLETED', finishedAt: new Date().toISOString() });
    await store.create({ ...task, taskId: 'task-3' });

    // Assess
    expect(refused).toBeInstanceOf(RedriveInProgressError);
    expect(await store.get(task.queue)).toMatchObject({ taskId: 'task-3', state: 'REQUEUEING' });
  });

  it('writes only for the nudge that drives the task, a free lease, and removes fields', async () => {
    // Prepare
    const store = stores[name]!();
    const task = newTask();
    await store.create(task);
    const leaseUntil = new Date(Date.now() + 60_000).toISOString();

    // Act
    const claimed = await store.update(task.queue, { taskId: 'task-1', nudge: 'n1', leaseFreeAt: new Date().toISOString() }, { leaseUntil, page: ['a', 'b'], cursor: 'x' });
    const second = await store.update(task.queue, { taskId: 'task-1', nudge: 'n1', leaseFreeAt: new Date().toISOString() }, { leaseUntil });
    const oldNudge = await store.update(task.queue, { taskId: 'task-1', nudge: 'n0' }, { requeued: 5 });
    const checkpoint = await store.update(task.queue, { taskId: 'task-1', nudge: 'n1' }, { requeued: 2, nudge: 'n2' }, ['page', 'leaseUntil']);

    // Assess
    expect(claimed).toMatchObject({ leaseUntil, page: ['a', 'b'], cursor: 'x' });
    expect(second).toBeUndefined();
    expect(oldNudge).toBeUndefined();
    expect(checkpoint).toMatchObject({ requeued: 2, nudge: 'n2', cursor: 'x' });
    expect(checkpoint).not.toHaveProperty('page');
    expect(checkpoint).not.toHaveProperty('leaseUntil');
    expect(await store.get(task.queue)).toEqual(checkpoint);
  });

  it('removes a task only by its own id', async () => {
    // Prepare
    const store = stores[name]!();
    const task = newTask();
    await store.create(task);

    // Act
    await store.remove(task.queue, 'other');
    const kept = await store.get(task.queue);
    await store.remove(task.queue, task.taskId);

    // Assess
    expect(kept).toMatchObject({ taskId: 'task-1' });
    expect(await store.get(task.queue)).toBeUndefined();
  });
});
