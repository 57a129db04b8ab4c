import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ClassicLevel } from 'classic-level';

/**
 * One local cloud per data dir. Two on the same folder corrupt each other: the second rewrites the
 * SQS journal (compaction at start) under the first, which then appends to a deleted file and loses
 * every message it accepts after its next crash.
 *
 * The lock is the operating system's own: a LevelDB database at `<dataDir>/.lock`, whose LOCK file
 * LevelDB holds with fcntl (POSIX) or LockFileEx (Windows). The kernel releases it when its process
 * ends, however it ends, so a `kill -9`'d cloud leaves nothing stuck — unlike a pid file, which a
 * recycled pid can keep "alive". `classic-level` is already in the tree for dynalite's persistence.
 */
export class DataDirInUseError extends Error {
  constructor(readonly dataDir: string, readonly ownerPid: number | undefined) {
    super(`data dir ${dataDir} is in use by another local cloud${ownerPid !== undefined ? ` (pid ${ownerPid})` : ''}; stop it first, or set CONVEYOR_DATA_DIR to another folder`);
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  release(): Promise<void>;
}

/**
 * Paths this process holds. LevelDB refuses a second open in the same process by itself, but it
 * does so by closing the file — and closing any descriptor of a file drops every fcntl lock the
 * process holds on it, the first one's included. So a second lock in this process never reaches it.
 */
const held = new Set<string>();

/** Takes the data dir's lock, or throws DataDirInUseError naming the owner. Call before touching any other file in it. */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const dir = resolve(dataDir);
  const path = join(dir, '.lock');
  const ownerFile = join(dir, '.lock-owner');
  if (held.has(path)) throw new DataDirInUseError(dir, process.pid);
  held.add(path);
  const db = new ClassicLevel(path);
  try {
    await db.open();
  } catch (error) {
    held.delete(path);
    if ((error as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED') throw new DataDirInUseError(dir, ownerPid(ownerFile));
    throw error;
  }
  // Who holds it, for the message a second start prints (informational: the lock is the LOCK file).
  writeFileSync(ownerFile, `${process.pid}\n`);
  let released: Promise<void> | undefined;
  return {
    release: () =>
      (released ??= (async () => {
        rmSync(ownerFile, { force: true });
        await db.close();
        held.delete(path);
      })()),
  };
}

function ownerPid(ownerFile: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(ownerFile, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
