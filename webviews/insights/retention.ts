/**
 * Retention triangle arithmetic, without the DOM: the average retention per period (weighted by
 * cohort size, over the cohorts old enough to have that period), and the insight a triangle
 * becomes when written.
 */
import type { CohortRetention, RetentionCohort } from '../../contracts/tools/analytics';
import type { Insight } from './funnel';

export interface PeriodAverage {
  period: number;
  /** Users retained over users in the cohorts that reached this period; null when none did. */
  share: number | null;
  /** How many users that average is over. */
  users: number;
}

export function averageRetention(cohorts: readonly RetentionCohort[]): PeriodAverage[] {
  const width = Math.max(0, ...cohorts.map((c) => c.retained.length));
  const out: PeriodAverage[] = [];
  for (let p = 0; p < width; p++) {
    let users = 0;
    let kept = 0;
    for (const c of cohorts) {
      if (p >= c.retained.length || c.size === 0) continue;
      users += c.size;
      kept += c.retained[p] * c.size;
    }
    out.push({ period: p, share: users > 0 ? kept / users : null, users });
  }
  return out;
}

const PERIOD_WORD = { day: 'Day', week: 'Week', month: 'Month' } as const;

export function periodLabel(period: CohortRetention['period'], i: number): string {
  return `${PERIOD_WORD[period]} ${i}`;
}

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);

export function retentionInsight(out: CohortRetention, cohortEvent: string, returnEvent: string): Insight {
  const avg = averageRetention(out.cohorts);
  const first = avg[1] ?? null;
  const last = avg.at(-1) ?? null;
  const users = out.cohorts.reduce((n, c) => n + c.size, 0);
  const word = PERIOD_WORD[out.period].toLowerCase();
  return {
    type: 'general',
    title: `Retention: ${pct(first?.share ?? null)} come back in ${word} 1 after "${cohortEvent}"`,
    summary: `${out.cohorts.length} ${word}ly cohorts, ${users} users; "${returnEvent}" counts as coming back. ${last && last.period > 1 ? `${pct(last.share)} are still active in ${word} ${last.period}.` : ''}`.trim(),
    severity: 'info',
    confidence: users >= 1000 ? 0.8 : users >= 100 ? 0.6 : 0.3,
    window: { range_days: out.range_days },
    context: { cohort_event: cohortEvent, return_event: returnEvent, period: out.period, average: avg.map((a) => a.share) },
    recommendations: [
      {
        action: first && first.share !== null && first.share < 0.3 ? `Work on the first ${word} after "${cohortEvent}"` : 'Keep watching retention by cohort',
        rationale: `Average ${word}-1 retention is ${pct(first?.share ?? null)} over ${first?.users ?? 0} users.`,
      },
    ],
  };
}
