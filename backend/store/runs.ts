import { randomUUID } from 'node:crypto';
import type { Queryable } from './db';
import { assertTransition } from '../runs/transitions';
import type { ErrorBody } from '../errors';
import type { Run, RunEvent, RunStatus, StateEventData, ListRunsQuery, RunPage } from '../../contracts/rest';

/** Row of `runs` as the drivers return it. */
export interface RunRow {
  id: string;
  tool: string;
  status: RunStatus;
  risk: Run['risk'];
  input: unknown;
  output: unknown;
  error: ErrorBody | null;
  labels: Record<string, string>;
  priority: number;
  caller: string;
  idempotency_key: string | null;
  correlation_id: string | null;
  trace_id: string;
  version: number;
  attempt: number;
  max_attempts: number;
  owner: string | null;
  cancel_requested: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  /** Where the run executed (migration 0010); absent on rows read before it. */
  executed_on?: string | null;
}

/** Drivers give Dates for columns, ISO strings inside jsonb (what the run functions return). */
type Timestamp = Date | string;

/** A run plus the fields only the engine needs. */
export interface StoredRun extends Run {
  owner: string | null;
  cancelRequested: boolean;
}

export function toRun(r: RunRow): StoredRun {
  return {
    id: r.id,
    tool: r.tool,
    status: r.status,
    risk: r.risk,
    input: r.input,
    ...(r.output === null ? {} : { output: r.output }),
    ...(r.error === null ? {} : { error: r.error }),
    labels: r.labels,
    priority: r.priority,
    caller: r.caller,
    idempotencyKey: r.idempotency_key,
    correlationId: r.correlation_id,
    traceId: r.trace_id,
    version: r.version,
    attempt: r.attempt,
    maxAttempts: r.max_attempts,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    startedAt: r.started_at ? iso(r.started_at) : null,
    finishedAt: r.finished_at ? iso(r.finished_at) : null,
    ...(r.executed_on ? { executedOn: r.executed_on } : {}),
    owner: r.owner,
    cancelRequested: r.cancel_requested,
  };
}

/** The public view: drops engine-only fields. */
export function publicRun(run: StoredRun): Run {
  const { owner: _owner, cancelRequested: _cancel, ...rest } = run;
  return rest;
}

const iso = (d: Timestamp) => (d instanceof Date ? d.toISOString() : new Date(d).toISOString());

interface EventRow {
  id: number;
  run_id: string;
  type: RunEvent['type'];
  data: unknown;
  created_at: Timestamp;
}
const toEvent = (e: EventRow): RunEvent => ({ id: Number(e.id), runId: e.run_id, type: e.type, data: e.data, createdAt: iso(e.created_at) });

/** A row of run_events as stored: an event, or the state events a run was inserted with, in one row (migration 0018). */
type StoredEventRow = EventRow | (Omit<EventRow, 'type' | 'data'> & { type: 'states'; data: { ids: number[]; steps: StateEventData[] } });

/** The events a stored row holds: itself, or each step of a 'states' row with the id it was given. */
function storedEvents(row: StoredEventRow): RunEvent[] {
  if (row.type !== 'states') return [toEvent(row)];
  const createdAt = iso(row.created_at);
  return row.data.ids.map((id, i) => ({ id: Number(id), runId: row.run_id, type: 'state', data: row.data.steps[i], createdAt }));
}

export interface NewRun {
  /** Chosen by the caller, so a retried write can never store the same call twice. */
  id: string;
  tool: string;
  status: 'queued' | 'awaiting_approval';
  risk: Run['risk'];
  input: unknown;
  caller: string;
  idempotencyKey?: string;
  correlationId?: string;
  traceId?: string;
  labels?: Record<string, string>;
  priority?: number;
  maxAttempts: number;
  audit: { argsShape: unknown; outcome: string };
  /** Store it already dispatching, owned by this backend instance (a queued run only). */
  claimedBy?: string;
  /**
   * Its end, when it ended before it was stored (a claimed run only; see RunWriter): the steps
   * from dispatching on and the columns that go with them, as the Advance that would have
   * followed the insert carries them. The run is then stored once, already ended.
   */
  end?: Pick<Advance, 'steps' | 'changes'>;
}

/**
 * Inserts runs, each with its first state event(s) and its audit row, in one statement:
 * nothing half-written. A null in the result means the idempotency key already names a run
 * (the caller then reads that one).
 */
export async function insertRuns(q: Queryable, items: NewRun[]): Promise<Array<{ run: StoredRun; events: RunEvent[] } | null>> {
  const sent = items.map(insertItem);
  const rows = await q.query<{ r: Array<Inserted | null> }>('SELECT po_insert_runs($1::jsonb) AS r', [JSON.stringify(sent)]);
  return rows[0].r.map((made, i) => made && insertedRun(sent[i], made));
}

export async function insertRun(q: Queryable, n: NewRun): Promise<{ run: StoredRun; events: RunEvent[] } | null> {
  return (await insertRuns(q, [n]))[0];
}

/** One run as po_insert_runs takes it. */
interface InsertItem {
  id: string;
  tool: string;
  status: RunStatus;
  risk: Run['risk'];
  input: unknown;
  caller: string;
  idempotency_key: string | null;
  correlation_id: string | null;
  trace_id: string;
  labels: Record<string, string>;
  priority: number;
  max_attempts: number;
  owner: string | null;
  steps: StateEventData[];
  args_shape: unknown;
  outcome: string;
  output?: unknown;
  error?: ErrorBody | null;
  attempt?: number;
  started?: true;
  finished?: true;
  executed_on?: string;
  end_audit?: RunChanges['audit'];
}

/** What po_insert_runs answers per run (migration 0016): only what the database made. */
interface Inserted {
  v: number;
  c: string;
  u: string;
  s: string | null;
  f: string | null;
  /** Each state event's id and time, in the order of `steps`. */
  e: Array<[number, string]>;
}

/** The run and its state events as stored: what was sent, with what the database made. */
function insertedRun(sent: InsertItem, made: Inserted): { run: StoredRun; events: RunEvent[] } {
  const run = toRun({
    id: sent.id,
    tool: sent.tool,
    status: sent.status,
    risk: sent.risk,
    input: sent.input,
    output: sent.output ?? null,
    error: sent.error ?? null,
    labels: sent.labels,
    priority: sent.priority,
    caller: sent.caller,
    idempotency_key: sent.idempotency_key,
    correlation_id: sent.correlation_id,
    trace_id: sent.trace_id,
    version: made.v,
    attempt: sent.attempt ?? 0,
    max_attempts: sent.max_attempts,
    owner: sent.owner,
    cancel_requested: false,
    created_at: made.c,
    updated_at: made.u,
    started_at: made.s,
    finished_at: made.f,
    executed_on: sent.executed_on ?? null,
  });
  if (made.e.length !== sent.steps.length) throw new Error(`run ${sent.id}: ${made.e.length} state events stored for ${sent.steps.length} steps`);
  const events = made.e.map(([id, at], i): RunEvent => ({ id: Number(id), runId: sent.id, type: 'state', data: sent.steps[i], createdAt: iso(at) }));
  return { run, events };
}

function insertItem(n: NewRun): InsertItem {
  const steps: StateEventData[] = [{ from: null, to: 'queued' }];
  if (n.status === 'awaiting_approval') steps.push({ from: 'queued', to: 'awaiting_approval', reason: `${n.risk} risk needs approval` });
  else if (n.claimedBy) steps.push({ from: 'queued', to: 'dispatching' });
  const status = n.claimedBy && n.status === 'queued' ? 'dispatching' : n.status;
  return {
    id: n.id,
    tool: n.tool,
    status,
    risk: n.risk,
    input: n.input,
    caller: n.caller,
    idempotency_key: n.idempotencyKey ?? null,
    correlation_id: n.correlationId ?? null,
    trace_id: n.traceId ?? randomUUID().replace(/-/g, ''),
    labels: n.labels ?? {},
    priority: n.priority ?? 0,
    max_attempts: n.maxAttempts,
    owner: n.status === 'queued' ? (n.claimedBy ?? null) : null,
    steps,
    args_shape: n.audit.argsShape,
    outcome: n.audit.outcome,
    ...(n.end ? endColumns(n, status, steps) : {}),
  };
}

/** A run stored with its end: the final status, every step, the end's columns and its audit row. */
function endColumns(n: NewRun, status: RunStatus, steps: StateEventData[]): Partial<InsertItem> {
  const end = n.end!;
  if (status !== 'dispatching' || end.steps[0]?.from !== 'dispatching') throw new Error(`run ${n.id}: only a claimed run's end (from dispatching) is stored with its insert`);
  for (const step of end.steps) assertTransition(step.from!, step.to);
  const c = end.changes ?? {};
  if (c.owner !== undefined || c.notBefore !== undefined || c.cancelRequested !== undefined) throw new Error(`run ${n.id}: an end stored with its insert sets no owner, not_before or cancel flag`);
  return {
    status: end.steps[end.steps.length - 1].to,
    steps: [...steps, ...end.steps],
    ...(c.output !== undefined ? { output: c.output } : {}),
    ...(c.error !== undefined ? { error: c.error } : {}),
    ...(c.attempt !== undefined ? { attempt: c.attempt } : {}),
    ...(c.started ? { started: true } : {}),
    ...(c.finished ? { finished: true } : {}),
    ...(c.executedOn !== undefined ? { executed_on: c.executedOn } : {}),
    ...(c.audit ? { end_audit: c.audit } : {}),
  };
}

/** What the run functions return per item: the row and its new state events, as JSON. */
interface Change {
  run: RunRow;
  events: EventRow[];
}

function fromChange(c: Change | null): { run: StoredRun; events: RunEvent[] } | null {
  return c ? { run: toRun(c.run), events: c.events.map(toEvent) } : null;
}

/** `forUpdate` (inside a transaction) holds the row until commit, so a decision on it is atomic. */
export async function getRun(q: Queryable, id: string, forUpdate = false): Promise<StoredRun | null> {
  const rows = await q.query<RunRow>(`SELECT * FROM runs WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0] ? toRun(rows[0]) : null;
}

export async function getRunByIdempotencyKey(q: Queryable, key: string): Promise<StoredRun | null> {
  const rows = await q.query<RunRow>('SELECT * FROM runs WHERE idempotency_key = $1', [key]);
  return rows[0] ? toRun(rows[0]) : null;
}

/** Columns the engine may set along with a status change. */
export interface RunChanges {
  owner?: string | null;
  output?: unknown;
  error?: ErrorBody | null;
  attempt?: number;
  notBefore?: Date | null;
  started?: boolean;
  finished?: boolean;
  cancelRequested?: boolean;
  /** Where the run executes: "local", "docker" or the remote executor's URL (set as it starts). */
  executedOn?: string;
  /** An audit row written in the same statement (the end of a call). */
  audit?: { caller: string; action: string; tool: string; outcome: string };
}

/** One status change: the run moves through `steps` only if it is still in one of `from`. */
export interface Advance {
  id: string;
  from: readonly RunStatus[];
  steps: StateEventData[];
  changes?: RunChanges;
  /** Also require this owner (null: no owner), so a stale view cannot settle another's run. */
  expectOwner?: string | null;
}

/**
 * Applies status changes in one statement, each guarded by its expected current status (the
 * guard that makes races lose cleanly); every step becomes a state event. A null in the
 * result means that item's guard failed and it changed nothing.
 */
export async function advanceRuns(q: Queryable, items: Advance[]): Promise<Array<{ run: StoredRun; events: RunEvent[] } | null>> {
  const rows = await q.query<{ r: Array<Change | null> }>('SELECT po_advance_runs($1::jsonb) AS r', [JSON.stringify(items.map(advanceItem))]);
  return rows[0].r.map(fromChange);
}

/**
 * Inserts and status changes of different runs in one statement (both functions in one
 * SELECT, so one round trip and one commit): what RunWriter sends when new calls and ending
 * runs arrive together, which under load is nearly always.
 */
export async function writeRuns(
  q: Queryable,
  inserts: NewRun[],
  advances: Advance[],
): Promise<{ inserted: Array<{ run: StoredRun; events: RunEvent[] } | null>; advanced: Array<{ run: StoredRun; events: RunEvent[] } | null> }> {
  if (advances.length === 0) return { inserted: await insertRuns(q, inserts), advanced: [] };
  if (inserts.length === 0) return { inserted: [], advanced: await advanceRuns(q, advances) };
  const sent = inserts.map(insertItem);
  const rows = await q.query<{ i: Array<Inserted | null>; a: Array<Change | null> }>('SELECT po_insert_runs($1::jsonb) AS i, po_advance_runs($2::jsonb) AS a', [
    JSON.stringify(sent),
    JSON.stringify(advances.map(advanceItem)),
  ]);
  return { inserted: rows[0].i.map((made, i) => made && insertedRun(sent[i], made)), advanced: rows[0].a.map(fromChange) };
}

export async function advanceRun(
  q: Queryable,
  id: string,
  from: readonly RunStatus[],
  steps: StateEventData[],
  changes: RunChanges = {},
  expectOwner?: string | null,
): Promise<{ run: StoredRun; events: RunEvent[] } | null> {
  return (await advanceRuns(q, [{ id, from, steps, changes, expectOwner }]))[0];
}

function advanceItem(a: Advance): Record<string, unknown> {
  for (const step of a.steps) if (step.from !== null) assertTransition(step.from, step.to);
  const c = a.changes ?? {};
  const set: Record<string, unknown> = {};
  if (c.owner !== undefined) set.owner = c.owner;
  if (c.output !== undefined) set.output = c.output;
  if (c.error !== undefined) set.error = c.error;
  if (c.attempt !== undefined) set.attempt = c.attempt;
  if (c.notBefore !== undefined) set.not_before = c.notBefore?.toISOString() ?? null;
  if (c.cancelRequested !== undefined) set.cancel_requested = c.cancelRequested;
  if (c.started) set.started = true;
  if (c.finished) set.finished = true;
  if (c.executedOn !== undefined) set.executed_on = c.executedOn;
  return {
    id: a.id,
    from: a.from,
    steps: a.steps,
    set,
    ...(a.expectOwner === undefined ? {} : { expected_owner: a.expectOwner }),
    ...(c.audit ? { audit: c.audit } : {}),
  };
}

/**
 * Takes up to `limit` queued runs for this backend. SKIP LOCKED lets several backends share
 * one PostgreSQL queue without waiting on each other or taking the same run twice.
 */
export async function claimQueued(q: Queryable, owner: string, limit: number): Promise<Array<{ run: StoredRun; events: RunEvent[] }>> {
  const rows = await q.query<RunRow & { event: EventRow }>(
    `WITH c AS (
       SELECT id FROM runs WHERE status = 'queued' AND (not_before IS NULL OR not_before <= now())
       ORDER BY priority DESC, created_at LIMIT $2 FOR UPDATE SKIP LOCKED),
     u AS (
       UPDATE runs SET status = 'dispatching', owner = $1, version = version + 1, updated_at = now()
       WHERE id IN (SELECT id FROM c) RETURNING *),
     e AS (
       INSERT INTO run_events (run_id, type, data)
       SELECT u.id, 'state', jsonb_build_object('from', 'queued', 'to', 'dispatching') FROM u RETURNING *)
     SELECT u.*, to_jsonb(e) AS event FROM u JOIN e ON e.run_id = u.id ORDER BY u.priority DESC, u.created_at`,
    [owner, limit],
  );
  return rows.map(({ event, ...run }) => ({ run: toRun(run), events: [toEvent({ ...event, created_at: new Date(event.created_at) })] }));
}

export async function appendRunEvent(q: Queryable, runId: string, type: RunEvent['type'], data: unknown): Promise<RunEvent> {
  const rows = await q.query<EventRow>('INSERT INTO run_events (run_id, type, data) VALUES ($1, $2, $3::jsonb) RETURNING *', [runId, type, JSON.stringify(data)]);
  return toEvent(rows[0]);
}

export async function listRunEvents(q: Queryable, runId: string, afterId = 0): Promise<RunEvent[]> {
  // A 'states' row's id is its last step's: it is found whenever any of its steps is after afterId.
  const rows = await q.query<StoredEventRow>('SELECT * FROM run_events WHERE run_id = $1 AND id > $2 ORDER BY id', [runId, afterId]);
  return rows.flatMap(storedEvents).filter((e) => e.id > afterId);
}

/** Optimistic update of the fields a user may change. */
export async function patchRun(
  q: Queryable,
  id: string,
  ifVersion: number,
  patch: { labels?: Record<string, string>; priority?: number },
): Promise<StoredRun | null> {
  const rows = await q.query<RunRow>(
    `UPDATE runs SET labels = coalesce($3::jsonb, labels), priority = coalesce($4, priority), version = version + 1, updated_at = now()
     WHERE id = $1 AND version = $2 RETURNING *`,
    [id, ifVersion, patch.labels === undefined ? null : JSON.stringify(patch.labels), patch.priority ?? null],
  );
  return rows[0] ? toRun(rows[0]) : null;
}

export async function setCancelRequested(q: Queryable, id: string): Promise<StoredRun | null> {
  const rows = await q.query<RunRow>(
    `UPDATE runs SET cancel_requested = true, version = version + 1, updated_at = now()
     WHERE id = $1 AND status IN ('dispatching','running') RETURNING *`,
    [id],
  );
  return rows[0] ? toRun(rows[0]) : null;
}

/** Newest first; the cursor is the last row's (created_at, id), so pages never shift. */
export async function listRuns(q: Queryable, query: ListRunsQuery): Promise<RunPage> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (query.status) add('status = ANY(?::text[])', query.status.split(','));
  if (query.tool) add('tool = ?', query.tool);
  if (query.correlationId) add('correlation_id = ?', query.correlationId);
  // As text: Postgres reads RFC 3339 itself (leap seconds included), where a JS Date would not.
  if (query.since) add('created_at >= ?::timestamptz', query.since);
  if (query.cursor) {
    const [at, id] = decodeCursor(query.cursor);
    params.push(at, id);
    where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  const limit = query.limit ?? 50;
  params.push(limit + 1);
  const rows = await q
    .query<RunRow & { created_text: string }>(
      `SELECT *, created_at::text AS created_text FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    )
    .catch((err: { code?: string }) => {
      // A cursor can look right and still hold an impossible date (2024-02-31): Postgres says so.
      if (query.cursor && ['22007', '22008', '22P02'].includes(err.code ?? '')) throw new CursorError('cursor is not one this server issued');
      throw err;
    });
  const page = rows.slice(0, limit).map(({ created_text: _t, ...r }) => publicRun(toRun(r)));
  const last = rows.length > limit ? rows[limit - 1] : null;
  return { runs: page, nextCursor: last ? encodeCursor(last.created_text, last.id) : null };
}

export class CursorError extends Error {}

const CURSOR_TIME = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?[+-]\d\d(:\d\d)?$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The timestamp travels as Postgres text: microseconds matter, a JS Date would drop them and skip rows. */
function encodeCursor(createdText: string, id: string): string {
  return Buffer.from(JSON.stringify([createdText, id])).toString('base64url');
}
function decodeCursor(cursor: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && CURSOR_TIME.test(v[0]) && UUID.test(v[1])) {
      return [v[0], v[1]];
    }
  } catch {
    /* fall through */
  }
  throw new CursorError('cursor is not one this server issued');
}

/** Active runs owned by backends that are gone: what recovery must settle. */
export async function orphanedRuns(q: Queryable, liveOwners: string[]): Promise<StoredRun[]> {
  const rows = await q.query<RunRow>(
    `SELECT * FROM runs WHERE status IN ('dispatching','running') AND (owner IS NULL OR NOT (owner = ANY($1::text[])))`,
    [liveOwners],
  );
  return rows.map(toRun);
}

