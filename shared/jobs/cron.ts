/**
 * Five-field cron (`minute hour day-of-month month day-of-week`) evaluated in an IANA time zone,
 * with EventBridge Scheduler's daylight-saving rules, so the local scheduler fires when AWS would:
 * - spring forward: a wall-clock time that does not exist that day (02:30 in a 02:00→03:00 jump) is
 *   skipped;
 * - fall back: a wall-clock time that happens twice (01:30 in a 02:00→01:00 repeat) runs once, at its
 *   first occurrence.
 * Supported per field: `*`, `n`, `a-b`, a step over all values or over a range (`a-b/s`), lists of those; day-of-week 0–7 (0 and 7 =
 * Sunday) or SUN–SAT. Day-of-month and day-of-week cannot both be restricted (EventBridge needs
 * one of them to be `?`).
 */
export interface CronSchedule {
  readonly expression: string;
  readonly timeZone: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly daysOfMonth: ReadonlySet<number> | undefined;
  readonly months: ReadonlySet<number>;
  readonly daysOfWeek: ReadonlySet<number> | undefined;
}

export class CronExpressionError extends Error {
  constructor(expression: string, reason: string) {
    super(`cron "${expression}": ${reason}`);
    this.name = 'CronExpressionError';
  }
}

const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

export function parseCron(expression: string, timeZone: string): CronSchedule {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) throw new CronExpressionError(expression, 'needs 5 fields: minute hour day-of-month month day-of-week');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new CronExpressionError(expression, `unknown IANA time zone "${timeZone}"`);
  }
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  const schedule: CronSchedule = {
    expression,
    timeZone,
    minutes: field(expression, minute, 0, 59),
    hours: field(expression, hour, 0, 23),
    daysOfMonth: dom === '*' ? undefined : field(expression, dom, 1, 31),
    months: field(expression, month, 1, 12),
    daysOfWeek: dow === '*' ? undefined : new Set([...field(expression, dayNamesToNumbers(dow), 0, 7)].map((d) => d % 7)),
  };
  if (schedule.daysOfMonth && schedule.daysOfWeek) throw new CronExpressionError(expression, 'restrict day-of-month or day-of-week, not both');
  return schedule;
}

function dayNamesToNumbers(text: string): string {
  return text.toUpperCase().replace(/[A-Z]{3}/g, (name) => {
    const index = DAY_NAMES.indexOf(name as (typeof DAY_NAMES)[number]);
    return index < 0 ? name : String(index);
  });
}

function field(expression: string, text: string, min: number, max: number): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!match) throw new CronExpressionError(expression, `cannot read "${part}"`);
    const start = match[1] === '*' ? min : Number(match[2]);
    const end = match[1] === '*' ? max : match[3] !== undefined ? Number(match[3]) : match[4] !== undefined ? max : start;
    const step = match[4] !== undefined ? Number(match[4]) : 1;
    if (start < min || end > max || start > end || step < 1) throw new CronExpressionError(expression, `"${part}" is outside ${min}–${max}`);
    for (let v = start; v <= end; v += step) values.add(v);
  }
  return values;
}

/** The first fire time strictly after `after` (epoch ms), or throws if none within 8 years. */
export function nextCronTime(schedule: CronSchedule, after: number): number {
  const start = wallClock(after, schedule.timeZone);
  for (let day = 0; day < 8 * 366; day++) {
    // Calendar arithmetic on a UTC date: local dates, independent of the zone's offsets.
    const date = new Date(Date.UTC(start.year, start.month - 1, start.day + day));
    const [y, m, d, weekday] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCDay()];
    if (!schedule.months.has(m)) continue;
    if (schedule.daysOfMonth && !schedule.daysOfMonth.has(d)) continue;
    if (schedule.daysOfWeek && !schedule.daysOfWeek.has(weekday)) continue;
    for (const h of [...schedule.hours].sort((a, b) => a - b)) {
      for (const min of [...schedule.minutes].sort((a, b) => a - b)) {
        const instant = instantOf(y, m, d, h, min, schedule.timeZone);
        if (instant !== undefined && instant > after) return instant;
      }
    }
  }
  throw new CronExpressionError(schedule.expression, 'never fires');
}

/** The same schedule as an EventBridge Scheduler expression, e.g. `cron(0 8 * * ? *)`. */
export function toEventBridgeCron(expression: string): string {
  const [minute, hour, dom, month, dow] = expression.trim().split(/\s+/) as [string, string, string, string, string];
  // EventBridge writes increments as `start/step`, and day-of-week as SUN–SAT (its numbers are 1–7).
  const increments = (text: string, first: number) => text.replace(/^\*\//, `${first}/`);
  const weekdays = dow === '*' ? '?' : dayNamesToNumbers(dow).replace(/\d+/g, (n) => DAY_NAMES[Number(n) % 7]!);
  if (dow !== '*' && dow.includes('/')) throw new CronExpressionError(expression, 'steps in day-of-week have no EventBridge equivalent');
  return `cron(${increments(minute, 0)} ${increments(hour, 0)} ${dom === '*' && dow !== '*' ? '?' : increments(dom, 1)} ${increments(month, 1)} ${weekdays} *)`;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(instant: number, timeZone: string): WallClock {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, p.value]));
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour), minute: Number(parts.minute) };
}

/**
 * The instant a local wall-clock minute happens: undefined in a spring-forward gap, the earlier of
 * two in a fall-back overlap. Candidates come from the zone's offsets half a day either side.
 */
function instantOf(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): number | undefined {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  const offsets = new Set([offsetAt(asUtc - 43_200_000, timeZone), offsetAt(asUtc + 43_200_000, timeZone)]);
  const matches = [...offsets]
    .map((offset) => asUtc - offset)
    .filter((instant) => {
      const wall = wallClock(instant, timeZone);
      return wall.year === year && wall.month === month && wall.day === day && wall.hour === hour && wall.minute === minute;
    });
  return matches.length ? Math.min(...matches) : undefined;
}

function offsetAt(instant: number, timeZone: string): number {
  const wall = wallClock(instant, timeZone);
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute) - Math.floor(instant / 60_000) * 60_000;
}

/** YYYY-MM-DD of an instant in a time zone. */
export function localDateOf(instant: number, timeZone: string): string {
  const wall = wallClock(instant, timeZone);
  return `${wall.year}-${String(wall.month).padStart(2, '0')}-${String(wall.day).padStart(2, '0')}`;
}
