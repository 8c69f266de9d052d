import type { ExecutionContext } from '../../executors/executor';
import type { Analytics } from '../../analytics/analytics';
import type { FunnelSummary, FunnelStep } from '../../../contracts/tools/analytics';
import { DAY_MS, explainMissing, interval, propertyFilter, round, span, windowOf } from './common';

export interface FunnelInput {
  range_days: number;
  funnel: { name: string; steps: Array<{ event_name: string; filter?: Record<string, unknown> }> };
  window_days?: number;
  as_of?: string;
  segment?: Record<string, unknown>;
}

/**
 * analytics.funnel_summary: the counting is the warehouse's (one SQL query); the rates and
 * their Wilson intervals are computed here. A step with nobody in it is checked against what
 * exists, so a misspelt event or property is an error that names it, not a silent zero.
 */
export function funnelSummary(analytics: Analytics) {
  return async (input: FunnelInput, ctx: ExecutionContext): Promise<FunnelSummary> => {
    const range = span(input.range_days, input.as_of);
    const windowDays = input.window_days ?? 14;
    const segment = propertyFilter(input.segment, 'segment');
    const steps = input.funnel.steps.map((s, i) => {
      const filter = propertyFilter(s.filter, `funnel.steps[${i}].filter`);
      // The segment narrows who enters: it is a filter on the first step.
      return { event: s.event_name, filter: i === 0 && segment ? { ...filter, ...segment } : filter };
    });
    const w = await analytics.warehouse();
    await ctx.progress({ progress: 0, message: `counting the ${steps.length}-step funnel on ${w.engine}` });
    const counts = await w.funnel({ range, steps, windowMs: windowDays * DAY_MS, signal: ctx.signal });
    if (counts.steps.some((s) => s.users === 0)) {
      await explainMissing(w, range, steps.map((s, i) => ({ ...s, where: `funnel step ${i + 1}` })));
    }
    const entered = counts.steps[0].users;
    const out: FunnelStep[] = counts.steps.map((c, i) => {
      const prev = i === 0 ? c.users : counts.steps[i - 1].users;
      const step: FunnelStep = {
        event_name: steps[i].event,
        users: c.users,
        conversion_from_prev: prev === 0 ? 0 : round(c.users / prev),
        conversion_from_prev_interval: interval(c.users, prev),
        conversion_overall: entered === 0 ? 0 : round(c.users / entered),
        conversion_overall_interval: interval(c.users, entered),
      };
      if (c.median_seconds_from_prev !== null) step.median_seconds_from_prev = round(c.median_seconds_from_prev, 3);
      if (c.median_seconds_from_entry !== null) step.median_seconds_from_entry = round(c.median_seconds_from_entry, 3);
      if (steps[i].filter) step.filter = steps[i].filter;
      return step;
    });
    return { funnel_name: input.funnel.name, range_days: input.range_days, steps: out, window_days: windowDays, window: windowOf(range), engine: w.engine };
  };
}
