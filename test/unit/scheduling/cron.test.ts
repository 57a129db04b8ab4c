import { describe, expect, it } from 'vitest';
import { CronExpressionError, nextCronTime, parseCron, toEventBridgeCron } from '../../../shared/jobs/cron.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('Function: nextCronTime', () => {
  it('fires a daily 08:00 in its zone, in winter and in summer time', () => {
    const daily = parseCron('0 8 * * *', 'Europe/Berlin');
    expect(iso(nextCronTime(daily, at('2026-01-10T06:00:00Z')))).toBe('2026-01-10T07:00:00.000Z'); // CET, UTC+1
    expect(iso(nextCronTime(daily, at('2026-07-10T06:00:00Z')))).toBe('2026-07-11T06:00:00.000Z'); // CEST, UTC+2: 08:00 already passed
    expect(iso(nextCronTime(daily, at('2026-07-10T05:59:59Z')))).toBe('2026-07-10T06:00:00.000Z');
  });

  it('keeps 08:00 local across the spring-forward day (23-hour day)', () => {
    // Europe/Berlin: 2026-03-29 02:00 CET → 03:00 CEST.
    const daily = parseCron('0 8 * * *', 'Europe/Berlin');
    const saturday = nextCronTime(daily, at('2026-03-28T00:00:00Z'));
    const sunday = nextCronTime(daily, saturday);
    expect(iso(saturday)).toBe('2026-03-28T07:00:00.000Z');
    expect(iso(sunday)).toBe('2026-03-29T06:00:00.000Z');
    expect(sunday - saturday).toBe(23 * 3_600_000);
  });

  it('skips a time that does not exist on the spring-forward day, as EventBridge Scheduler does', () => {
    // America/New_York: 2026-03-08 02:00 EST → 03:00 EDT; 02:30 never happens that day.
    const nightly = parseCron('30 2 * * *', 'America/New_York');
    const before = nextCronTime(nightly, at('2026-03-07T00:00:00Z'));
    const next = nextCronTime(nightly, before);
    expect(iso(before)).toBe('2026-03-07T07:30:00.000Z'); // 02:30 EST
    expect(iso(next)).toBe('2026-03-09T06:30:00.000Z'); // the 8th is skipped; 02:30 EDT on the 9th
  });

  it('runs a repeated time once on the fall-back day (25-hour day), at its first occurrence', () => {
    // America/New_York: 2026-11-01 02:00 EDT → 01:00 EST; 01:30 happens twice.
    const nightly = parseCron('30 1 * * *', 'America/New_York');
    const first = nextCronTime(nightly, at('2026-11-01T00:00:00Z'));
    const next = nextCronTime(nightly, first);
    expect(iso(first)).toBe('2026-11-01T05:30:00.000Z'); // 01:30 EDT, the first one
    expect(iso(next)).toBe('2026-11-02T06:30:00.000Z'); // not 06:30Z on the 1st (01:30 EST, the repeat)
    // A daily 08:00 spans the 25-hour day.
    const daily = parseCron('0 8 * * *', 'America/New_York');
    const saturday = nextCronTime(daily, at('2026-10-31T00:00:00Z'));
    expect(nextCronTime(daily, saturday) - saturday).toBe(25 * 3_600_000);
  });

  it('honours weekdays, steps, lists and month days', () => {
    const weekdays = parseCron('0 9 * * MON-FRI', 'UTC');
    expect(iso(nextCronTime(weekdays, at('2026-11-21T10:00:00Z')))).toBe('2026-11-23T09:00:00.000Z'); // Saturday → Monday
    const quarterHours = parseCron('*/15 * * * *', 'UTC');
    expect(iso(nextCronTime(quarterHours, at('2026-11-23T10:07:00Z')))).toBe('2026-11-23T10:15:00.000Z');
    const monthly = parseCron('0 0 31 * *', 'UTC');
    expect(iso(nextCronTime(monthly, at('2026-11-01T00:00:00Z')))).toBe('2026-12-31T00:00:00.000Z');
    const sundays = parseCron('0 12 * * 0,7', 'Asia/Kolkata');
    expect(iso(nextCronTime(sundays, at('2026-11-23T00:00:00Z')))).toBe('2026-11-29T06:30:00.000Z');
  });
});

describe('Function: parseCron', () => {
  it('rejects malformed expressions and unknown zones by name', () => {
    expect(() => parseCron('0 8 * *', 'UTC')).toThrow(CronExpressionError);
    expect(() => parseCron('60 8 * * *', 'UTC')).toThrow(/outside 0–59/);
    expect(() => parseCron('0 8 1 * MON', 'UTC')).toThrow(/not both/);
    expect(() => parseCron('0 8 * * *', 'Mars/Olympus')).toThrow(/unknown IANA time zone/);
  });
});

describe('Function: toEventBridgeCron', () => {
  it('writes the EventBridge Scheduler form', () => {
    expect(toEventBridgeCron('0 8 * * *')).toBe('cron(0 8 * * ? *)');
    expect(toEventBridgeCron('*/15 * * * *')).toBe('cron(0/15 * * * ? *)');
    expect(toEventBridgeCron('0 9 * * 1-5')).toBe('cron(0 9 ? * MON-FRI *)');
    expect(toEventBridgeCron('0 9 * * MON,WED')).toBe('cron(0 9 ? * MON,WED *)');
    expect(toEventBridgeCron('0 0 1 * *')).toBe('cron(0 0 1 * ? *)');
  });
});
