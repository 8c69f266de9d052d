import type { EventRow } from './warehouse';

/** An event as it arrives (events.ingest, a CSV or JSON-lines row, a Parquet row). */
export interface RawEvent {
  event_id?: unknown;
  event_name?: unknown;
  user_id?: unknown;
  timestamp?: unknown;
  properties?: unknown;
}

/** Properties larger than this (as JSON) are refused: events are facts, not documents. */
export const MAX_PROPERTIES_BYTES = 32 * 1024;
/** An event more than a day in the future is a clock or unit mistake, not an event. */
const FUTURE_SLACK_MS = 86_400_000;
const MIN_TIME = Date.UTC(1990, 0, 1);

const text = (v: unknown, name: string, max = 200): string | { problem: string } => {
  if (typeof v === 'number' && Number.isFinite(v)) v = String(v);
  if (typeof v !== 'string' || v.trim() === '') return { problem: `${name} is missing or empty` };
  if (v.length > max) return { problem: `${name} is longer than ${max} characters` };
  return v;
};

/**
 * One event checked on its own: user_id, event_name and timestamp present; the timestamp a
 * real instant with a time zone (or a UTC epoch in seconds or milliseconds), after 1990 and no
 * more than a day ahead; properties a JSON object (or JSON text of one) within 32 KiB.
 */
export function checkEvent(e: RawEvent, now: number): { row: EventRow } | { problem: string } {
  const user = text(e.user_id, 'user_id');
  if (typeof user !== 'string') return user;
  const event = text(e.event_name, 'event_name');
  if (typeof event !== 'string') return event;
  let id: string | undefined;
  if (e.event_id !== undefined && e.event_id !== null && e.event_id !== '') {
    const checked = text(e.event_id, 'event_id');
    if (typeof checked !== 'string') return checked;
    id = checked;
  }
  const ts = instant(e.timestamp);
  if (typeof ts === 'string') return { problem: ts };
  if (ts.getTime() < MIN_TIME) return { problem: `timestamp ${ts.toISOString()} is before 1990: is it in the right unit?` };
  if (ts.getTime() > now + FUTURE_SLACK_MS) return { problem: `timestamp ${ts.toISOString()} is more than a day in the future` };
  let props: unknown = e.properties ?? {};
  if (typeof props === 'string') {
    if (props.trim() === '') props = {};
    else {
      try {
        props = JSON.parse(props);
      } catch {
        return { problem: 'properties is not valid JSON' };
      }
    }
  }
  if (typeof props !== 'object' || props === null || Array.isArray(props)) return { problem: 'properties must be a JSON object' };
  if (JSON.stringify(props).length > MAX_PROPERTIES_BYTES) return { problem: `properties are larger than ${MAX_PROPERTIES_BYTES / 1024} KiB` };
  return { row: { ...(id === undefined ? {} : { event_id: id }), user_id: user, event, timestamp: ts, properties: props as Record<string, unknown> } };
}

function instant(v: unknown): Date | string {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'timestamp is not a valid date' : v;
  if (typeof v === 'number' || (typeof v === 'string' && /^\d{9,13}$/.test(v.trim()))) {
    const n = Number(v);
    // Ten digits or fewer: seconds; more: milliseconds.
    return new Date(n < 1e11 ? n * 1000 : n);
  }
  if (typeof v !== 'string' || v.trim() === '') return 'timestamp is missing or empty';
  const s = v.trim();
  // A date-time without an offset would be read in the machine's zone: refused, events are UTC.
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(s)) {
    return `timestamp "${s.slice(0, 40)}" is not an ISO 8601 date-time with a zone (e.g. 2026-11-30T09:15:00Z)`;
  }
  const d = new Date(s.replace(' ', 'T'));
  return Number.isNaN(d.getTime()) ? `timestamp "${s.slice(0, 40)}" is not a real date` : d;
}
