import type { ExecutionContext } from '../../executors/executor';
import type { Analytics } from '../../analytics/analytics';
import type { Period } from '../../analytics/warehouse';
import type { CohortRetention, RetentionAverage } from '../../../contracts/tools/analytics';
import { explainMissing, interval, round, span, windowOf } from './common';

export interface RetentionInput {
  range_days: number;
  cohort_event: string;
  return_event: string;
  period?: Period;
  periods?: number;
  as_of?: string;
}

/**
 * analytics.cohort_retention: the triangle (each cohort's share retained per period, periods
 * not yet started left out) and the average per period, weighted by cohort size over the
 * cohorts that have reached that period, with a Wilson interval.
 */
export function cohortRetention(analytics: Analytics) {
  return async (input: RetentionInput, ctx: ExecutionContext): Promise<CohortRetention> => {
    const range = span(input.range_days, input.as_of);
    const period = input.period ?? 'week';
    const periods = input.periods ?? 8;
    const w = await analytics.warehouse();
    await ctx.progress({ progress: 0, message: `counting ${period}ly cohorts on ${w.engine}` });
    const counts = await w.retention({ range, cohortEvent: input.cohort_event, returnEvent: input.return_event, period, periods, signal: ctx.signal });
    if (counts.cohorts.length === 0) {
      await explainMissing(w, range, [{ event: input.cohort_event, where: 'cohort_event' }]);
    }
    if (counts.cohorts.length > 0 && counts.cohorts.every((c) => c.retained.every((n) => n === 0))) {
      await explainMissing(w, range, [{ event: input.return_event, where: 'return_event' }]);
    }
    const average: RetentionAverage[] = [];
    for (let k = 0; k < periods; k++) {
      const reached = counts.cohorts.filter((c) => c.retained.length > k);
      if (reached.length === 0) break;
      const users = reached.reduce((s, c) => s + c.retained[k], 0);
      const cohortUsers = reached.reduce((s, c) => s + c.size, 0);
      average.push({ period_index: k, retained: cohortUsers ? round(users / cohortUsers) : 0, interval: interval(users, cohortUsers), users, cohort_users: cohortUsers });
    }
    return {
      cohorts: counts.cohorts.map((c) => ({
        cohort_start: c.cohort_start,
        size: c.size,
        retained: c.retained.map((n) => (c.size ? round(n / c.size) : 0)),
        retained_users: c.retained,
      })),
      period,
      range_days: input.range_days,
      average,
      window: windowOf(range),
      engine: w.engine,
    };
  };
}
