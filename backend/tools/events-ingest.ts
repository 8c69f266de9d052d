import type { ExecutionContext } from '../executors/executor';
import type { Analytics } from '../analytics/analytics';
import type { EventRow } from '../analytics/warehouse';
import { checkEvent, type RawEvent } from '../analytics/event-check';

export interface IngestInput {
  events: RawEvent[];
  source?: string;
}

export interface IngestOutput {
  accepted: number;
  rejected: number;
  duplicates: number;
  errors?: Array<{ index: number; message: string }>;
}

/**
 * events.ingest: each event is checked on its own (the schema has checked the shape; this
 * checks what a schema cannot: a real instant, a sane size); the valid ones go in as one
 * all-or-nothing batch, an event whose event_id is already stored counting once.
 */
export function eventsIngest(analytics: Analytics) {
  return async (input: IngestInput, ctx: ExecutionContext): Promise<IngestOutput> => {
    const rows: EventRow[] = [];
    const errors: Array<{ index: number; message: string }> = [];
    const now = Date.now();
    input.events.forEach((e, index) => {
      const checked = checkEvent(e, now);
      if ('problem' in checked) errors.push({ index, message: checked.problem });
      else rows.push(checked.row);
    });
    const w = await analytics.warehouse();
    const result = rows.length ? await w.ingest(rows, { source: input.source ?? `caller:${ctx.run.caller}` }) : { inserted: 0, duplicates: 0 };
    await ctx.log('info', `stored ${result.inserted} events in ${w.engine} (${result.duplicates} already there, ${errors.length} refused)`);
    return { accepted: result.inserted, rejected: errors.length, duplicates: result.duplicates, ...(errors.length ? { errors } : {}) };
  };
}
