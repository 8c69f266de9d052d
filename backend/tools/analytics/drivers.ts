import { ProductOsError } from '../../errors';
import { didYouMean } from '../../did-you-mean';
import type { ExecutionContext } from '../../executors/executor';
import type { Analytics } from '../../analytics/analytics';
import type { TopDrivers } from '../../../contracts/tools/analytics';
import { rankDrivers } from '../../analytics/rank-drivers';
import { DAY_MS, explainMissing, interval, propertyFilter, span, windowOf } from './common';
import type { PropertyFilter, TimeRange, Warehouse } from '../../analytics/warehouse';

export interface DriversInput {
  range_days: number;
  target: { metric: string; event_name?: string };
  candidate_features?: string[];
  entry_event?: string;
  window_days?: number;
  min_support?: number;
  as_of?: string;
  segment?: Record<string, unknown>;
}

const ALPHA = 0.05;
/** Without a candidate list, keys with more values than this (ids, free text) are not candidates. */
const MAX_VALUES_PER_KEY = 50;

/**
 * analytics.top_drivers: who converts to the target event within the window from entry, by
 * the properties of the entry event. The target is target.event_name, or the metric's name
 * when it names an event.
 */
export function topDrivers(analytics: Analytics) {
  return async (input: DriversInput, ctx: ExecutionContext): Promise<TopDrivers> => {
    // The segment narrows who enters, as in the funnel: only entry events carrying these
    // property values count, so the drivers are those of that segment's users.
    const segment = propertyFilter(input.segment, 'segment');
    const range = span(input.range_days, input.as_of);
    const windowDays = input.window_days ?? 14;
    const minSupport = input.min_support ?? 30;
    const targetEvent = input.target.event_name ?? input.target.metric;
    const w = await analytics.warehouse();
    await ctx.progress({ progress: 0, message: `counting conversions to ${targetEvent} on ${w.engine}` });
    const asked: Array<{ event: string; filter?: PropertyFilter; where: string }> = [
      { event: targetEvent, where: input.target.event_name ? 'target.event_name' : 'target.metric (as an event name)' },
    ];
    if (input.entry_event) asked.push({ event: input.entry_event, filter: segment, where: input.segment ? 'entry_event with segment' : 'entry_event' });
    const keys = input.candidate_features?.length ? [...new Set(input.candidate_features)] : undefined;
    const counts = await w.drivers({ range, entryEvent: input.entry_event, entryFilter: segment, targetEvent, windowMs: windowDays * DAY_MS, keys, maxValuesPerKey: MAX_VALUES_PER_KEY, signal: ctx.signal });
    if (counts.population === 0 || counts.converted === 0) {
      await explainMissing(w, range, asked);
      if (segment && !input.entry_event) await explainMissingSegment(w, range, segment);
    }
    if (keys) {
      const seen = new Set(counts.features.map((f) => f.key));
      const missing = keys.filter((k) => !seen.has(k));
      if (missing.length > 0) {
        const known = input.entry_event ? await w.propertyKeys(input.entry_event, range) : (await w.catalog(range)).properties.map((p) => p.key);
        const guess = didYouMean(missing[0], known);
        throw new ProductOsError(
          'not_found',
          `candidate_features: no ${input.entry_event ? `"${input.entry_event}" ` : ''}entry event carries ${missing.map((k) => `"${k}"`).join(', ')}${guess ? `; did you mean ${guess}?` : ''} (properties there: ${known.slice(0, 20).join(', ') || 'none'})`,
          { missing, known: known.slice(0, 50) },
        );
      }
    }
    const { drivers, tested } = rankDrivers(counts, { minSupport, alpha: ALPHA, limit: 20 });
    return {
      target: { ...input.target },
      range_days: input.range_days,
      drivers,
      population: counts.population,
      converted: counts.converted,
      conversion_interval: interval(counts.converted, counts.population),
      tested,
      min_support: minSupport,
      alpha: ALPHA,
      ...(input.entry_event ? { entry_event: input.entry_event } : {}),
      window_days: windowDays,
      window: windowOf(range),
      engine: w.engine,
    };
  };
}

/** Without an entry event a segment may name any property: one that no event carries is an error, not an empty answer. */
async function explainMissingSegment(w: Warehouse, range: TimeRange, segment: PropertyFilter): Promise<void> {
  const known = (await w.catalog(range)).properties.map((p) => p.key);
  const missing = Object.keys(segment).find((k) => !known.includes(k));
  if (missing === undefined) return;
  const guess = didYouMean(missing, known);
  throw new ProductOsError('not_found', `segment: no event carries a property "${missing}"${guess ? `; did you mean ${guess}?` : ''} (properties there: ${known.slice(0, 20).join(', ') || 'none'})`, {
    property: missing,
    known: known.slice(0, 50),
  });
}
