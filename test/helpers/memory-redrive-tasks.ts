import { RedriveInProgressError } from '../../shared/domain/errors.js';
import { ACTIVE_REDRIVE_STATES, type RedriveNudge, type RedriveNudges, type RedriveTaskChanges, type RedriveTaskExpectation, type RedriveTaskRecord, type RedriveTaskStore, type RemovableTaskField } from '../../shared/ports/redrive-tasks.js';

/** Redrive tasks in memory, with the DynamoDB adapter's conditions (the contract test runs both). */
export class MemoryRedriveTasks implements RedriveTaskStore {
  readonly tasks = new Map<string, RedriveTaskRecord>();
  constructor(private readonly now: () => Date = () => new Date()) {}

  async create(task: RedriveTaskRecord): Promise<void> {
    const current = this.tasks.get(task.queue);
    if (current && ACTIVE_REDRIVE_STATES.includes(current.state)) throw new RedriveInProgressError(task.queue);
    this.tasks.set(task.queue, structuredClone(task));
  }

  async get(queue: string): Promise<RedriveTaskRecord | undefined> {
    const task = this.tasks.get(queue);
    return task && structuredClone(task);
  }

  async update(queue: string, expect: RedriveTaskExpectation, changes: RedriveTaskChanges, remove: readonly RemovableTaskField[] = []): Promise<RedriveTaskRecord | undefined> {
    const task = this.tasks.get(queue);
    const ok =
      task !== undefined &&
      task.taskId === expect.taskId &&
      task.nudge === expect.nudge &&
      (expect.updatedAt === undefined || task.updatedAt === expect.updatedAt) &&
      (expect.leaseFreeAt === undefined || task.leaseUntil === undefined || task.leaseUntil < expect.leaseFreeAt) &&
      (expect.leaseOwner === undefined || task.leaseOwner === expect.leaseOwner);
    if (!ok) return undefined;
    const next: Record<string, unknown> = { ...task, updatedAt: this.now().toISOString() };
    for (const [field, value] of Object.entries(changes)) if (value !== undefined) next[field] = structuredClone(value);
    for (const field of remove) if (!(field in changes)) delete next[field];
    this.tasks.set(queue, next as unknown as RedriveTaskRecord);
    return structuredClone(next) as unknown as RedriveTaskRecord;
  }

  async remove(queue: string, taskId: string): Promise<void> {
    if (this.tasks.get(queue)?.taskId === taskId) this.tasks.delete(queue);
  }
}

/** Nudges kept in a list, as the redrive queue would hold them. */
export class MemoryNudges implements RedriveNudges {
  readonly sent: { nudge: RedriveNudge; delaySeconds: number }[] = [];
  failNext = false;

  async send(nudge: RedriveNudge, options: { delaySeconds?: number } = {}): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('queue unavailable');
    }
    this.sent.push({ nudge, delaySeconds: options.delaySeconds ?? 0 });
  }

  /** Takes the oldest nudge, as a consumer receives it. */
  take(): RedriveNudge | undefined {
    return this.sent.shift()?.nudge;
  }
}
