/** Calendar periods in UTC (weeks start on Monday, as ISO weeks and DuckDB's date_trunc do). */
import type { Period } from './warehouse';

const DAY = 86_400_000;

/** The start of the UTC period that holds `d`. */
export function periodStart(d: Date, period: Period): Date {
  const day = new Date(Math.floor(d.getTime() / DAY) * DAY);
  if (period === 'day') return day;
  if (period === 'week') return new Date(day.getTime() - ((day.getUTCDay() + 6) % 7) * DAY);
  return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), 1));
}

/** `start` moved on by k periods. */
export function addPeriods(start: Date, period: Period, k: number): Date {
  if (period === 'day') return new Date(start.getTime() + k * DAY);
  if (period === 'week') return new Date(start.getTime() + 7 * k * DAY);
  return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + k, 1));
}

/** Whole periods between two period starts. */
export function periodIndex(cohortStart: Date, at: Date, period: Period): number {
  const s = periodStart(at, period);
  if (period === 'day') return Math.round((s.getTime() - cohortStart.getTime()) / DAY);
  if (period === 'week') return Math.round((s.getTime() - cohortStart.getTime()) / (7 * DAY));
  return (s.getUTCFullYear() - cohortStart.getUTCFullYear()) * 12 + s.getUTCMonth() - cohortStart.getUTCMonth();
}

/** How many of a cohort's periods (at most `max`) have started before `to`. */
export function startedPeriods(cohortStart: Date, to: Date, period: Period, max: number): number {
  let n = 0;
  while (n < max && addPeriods(cohortStart, period, n).getTime() < to.getTime()) n++;
  return n;
}

export function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}
