import type { Warehouse } from './warehouse';
import { demoEvents, demoTruth, type DemoOptions } from './demo-events';

/** How much the demo generates: three months of a small product. */
export const DEMO_EVENTS: Omit<DemoOptions, 'end'> = { users: 6000, days: 90, seed: 20261130 };

/**
 * The demo's events, if the warehouse has none yet (idempotent: a second demo keeps what is
 * there). Staged and committed at once, so an interrupted demo leaves no partial history.
 */
export async function seedDemoEvents(w: Warehouse, now = new Date()): Promise<{ events: number; status: 'created' | 'kept'; incident_day?: string }> {
  const existing = await w.count();
  if (existing > 0) return { events: existing, status: 'kept' };
  const opts = { ...DEMO_EVENTS, end: now };
  const rows = [...demoEvents(opts)];
  let inserted: number;
  if (w.stage) {
    const staging = await w.stage();
    try {
      for (let i = 0; i < rows.length; i += 20_000) await staging.append(rows.slice(i, i + 20_000).map((r, j) => ({ ...r, line: i + j + 1 })));
    } catch (err) {
      await staging.dispose();
      throw err;
    }
    inserted = (await staging.commit('demo')).inserted;
  } else {
    inserted = (await w.ingest(rows, { source: 'demo' })).inserted;
  }
  return { events: inserted, status: 'created', incident_day: demoTruth(opts).incidentDay };
}
