import { styleText } from 'node:util';

/** Terminal output: colours only on a TTY and without NO_COLOR; plain text otherwise (pipes, CI). */
export interface Output {
  readonly color: boolean;
  readonly tty: boolean;
  out(line: string): void;
  err(line: string): void;
  /** Rewrites the current line (a TTY's live progress); prints a line otherwise. */
  live(line: string): void;
  endLive(): void;
}

export function processOutput(stream = process.stdout, errors = process.stderr, env = process.env): Output {
  const tty = stream.isTTY === true;
  let liveOpen = false;
  return {
    color: tty && env.NO_COLOR === undefined && env.TERM !== 'dumb',
    tty,
    out: (line) => void stream.write(`${line}\n`),
    err: (line) => void errors.write(`${line}\n`),
    live(line) {
      if (tty) {
        stream.write(`\r\x1b[2K${line}`);
        liveOpen = true;
      } else stream.write(`${line}\n`);
    },
    endLive() {
      if (liveOpen) stream.write('\n');
      liveOpen = false;
    },
  };
}

type Style = Parameters<typeof styleText>[0];

export function paint(output: Pick<Output, 'color'>, style: Style, text: string): string {
  return output.color ? styleText(style, text) : text;
}

const STATUS_STYLE: Record<string, Style> = {
  QUEUED: 'cyan',
  RUNNING: 'blue',
  RETRYING: 'yellow',
  SUCCEEDED: 'green',
  FAILED: 'red',
  DEAD: ['red', 'bold'],
  CANCELLED: 'gray',
  EXPIRED: 'yellow',
};

export function status(output: Pick<Output, 'color'>, value: string): string {
  return paint(output, STATUS_STYLE[value] ?? 'white', value);
}

/** Visible width, ignoring ANSI colour codes. */
function width(text: string): number {
  // eslint-disable-next-line no-control-regex -- ANSI escape sequences are what is being stripped
  return text.replace(/\x1b\[[0-9;]*m/g, '').length;
}

/** A plain aligned table: header in bold, columns padded to their widest cell. */
export function table(output: Pick<Output, 'color'>, headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: readonly string[]) => cells.map((cell, i) => cell + ' '.repeat(Math.max(0, widths[i]! - width(cell)))).join('  ').trimEnd();
  return [paint(output, 'bold', line(headers)), ...rows.map(line)];
}

/** `[██████░░░░]  60%` — the bar of `conveyor status --watch`. */
export function progressBar(percent: number, size = 30): string {
  const clamped = Math.max(0, Math.min(100, Math.round(percent)));
  const filled = Math.round((clamped / 100) * size);
  return `[${'█'.repeat(filled)}${'░'.repeat(size - filled)}] ${String(clamped).padStart(3)}%`;
}

/** A redrive task, for its progress bar: the records half, then the messages half. */
export interface RedriveProgress {
  readonly state: string;
  readonly deadJobs: number;
  readonly requeued: number;
  readonly skipped: number;
  readonly failures: number;
  readonly move?: { readonly moved: number; readonly toMove: number };
}

/**
 * How far a redrive is, 0–100: putting the dead records back is the first half (records handled of
 * those listed when it was asked for), moving the DLQ's messages the second.
 */
export function redrivePercent(task: RedriveProgress): number {
  if (task.state === 'COMPLETED') return 100;
  const handled = task.requeued + task.skipped + task.failures;
  const records = task.deadJobs > 0 ? Math.min(1, handled / task.deadJobs) : 1;
  if (task.state === 'REQUEUEING') return Math.floor(records * 50);
  const moved = task.move && task.move.toMove > 0 ? Math.min(1, task.move.moved / task.move.toMove) : 0;
  return Math.floor(50 + moved * 50);
}

/** "3s", "4m 05s", "2h 10m" — ages in tables. */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '-';
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h ${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}
