import { ProductOsError } from '../../errors';
import { didYouMean } from '../../did-you-mean';
import type { PropertyFilter, TimeRange, Warehouse } from '../../analytics/warehouse';
import type { RateInterval } from '../../../contracts/tools/analytics';
import { wilson } from '../../analytics/stats/wilson';

export const DAY_MS = 86_400_000;

/** The analysed span: the `rangeDays` days before `asOf` (default now), half-open. */
export function span(rangeDays: number, asOf: string | undefined): TimeRange {
  const to = asOf === undefined ? new Date() : new Date(asOf);
  if (Number.isNaN(to.getTime())) throw new ProductOsError('invalid_input', `as_of "${asOf}" is not a date-time (use ISO 8601, e.g. 2026-11-30T00:00:00Z)`);
  return { from: new Date(to.getTime() - rangeDays * DAY_MS), to };
}

export const windowOf = (r: TimeRange) => ({ from: r.from.toISOString(), to: r.to.toISOString() });

export function interval(successes: number, trials: number): RateInterval {
  const w = wilson(successes, trials);
  return { lower: round(w.lower), upper: round(w.upper) };
}

export const round = (x: number, digits = 6) => Math.round(x * 10 ** digits) / 10 ** digits;

/** A filter as the tools accept it: each value a scalar or a list of scalars. */
export function propertyFilter(raw: unknown, where: string): PropertyFilter | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ProductOsError('invalid_input', `${where} must be an object of property = value`);
  const out: PropertyFilter = {};
  const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
  for (const [k, v] of Object.entries(raw)) {
    if (scalar(v) || (Array.isArray(v) && v.length > 0 && v.every(scalar))) out[k] = v as PropertyFilter[string];
    else throw new ProductOsError('invalid_input', `${where}.${k} must be a string, number or boolean, or a non-empty list of them`);
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * Explains an empty answer the user did not mean: an event that does not occur in the span, or
 * a filter on a property the event never carries. Asked only when a count came back 0, so the
 * common path pays nothing for it.
 */
export async function explainMissing(w: Warehouse, range: TimeRange, asked: Array<{ event: string; filter?: PropertyFilter; where: string }>): Promise<void> {
  const catalog = await w.catalog(range);
  const names = catalog.events.map((e) => e.name);
  for (const a of asked) {
    if (!names.includes(a.event)) {
      if (catalog.totals.events === 0) {
        throw new ProductOsError(
          'not_found',
          `there are no events between ${range.from.toISOString()} and ${range.to.toISOString()}: bring some in with "product-os events import FILE", the events.ingest tool, or "product-os demo"`,
        );
      }
      const guess = didYouMean(a.event, names);
      throw new ProductOsError(
        'not_found',
        `${a.where}: no "${a.event}" events between ${range.from.toISOString().slice(0, 10)} and ${range.to.toISOString().slice(0, 10)}${guess ? `; did you mean ${guess}?` : ''} (events there: ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''})`,
        { event: a.event, known: names.slice(0, 50) },
      );
    }
    for (const key of Object.keys(a.filter ?? {})) {
      const keys = await w.propertyKeys(a.event, range);
      if (!keys.includes(key)) {
        const guess = didYouMean(key, keys);
        throw new ProductOsError(
          'not_found',
          `${a.where}: "${a.event}" events have no property "${key}"${guess ? `; did you mean ${guess}?` : ''} (its properties: ${keys.join(', ') || 'none'})`,
          { event: a.event, property: key, known: keys },
        );
      }
    }
  }
}
