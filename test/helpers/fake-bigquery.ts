/**
 * A local HTTP server speaking the part of the BigQuery REST API (v2) that
 * @google-cloud/bigquery uses for queries: jobs.insert (POST /projects/P/jobs, with and without
 * dryRun), jobs.query (POST /projects/P/queries), getQueryResults (GET /projects/P/queries/ID)
 * and jobs.get. The client is pointed at it with `apiEndpoint` and a fixed-token auth client.
 * Each request is recorded as it arrived (the SQL, the typed query parameters decoded, the
 * bytes cap, the bearer token), and the test decides each statement's answer: its dry-run bytes
 * and rows, or an error as BigQuery sends it (403 accessDenied, 404 notFound). A query whose
 * dry-run bytes exceed its `maximumBytesBilled` is refused as BigQuery refuses it
 * (bytesBilledLimitExceeded), so the cap is enforced here as there.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

export type Scalar = string | number | boolean | null;
export type ParamValue = Scalar | ParamValue[] | { [k: string]: ParamValue };

export interface Statement {
  /** The `-- product-os:<kind>` tag of the statement (or "untagged"). */
  kind: string;
  sql: string;
  params: Record<string, ParamValue>;
  /** Each parameter's declared BigQuery type (STRING, INT64, ARRAY<STRING>, …). */
  types: Record<string, string>;
}

export type Answer =
  | { bytes?: number; rows?: Array<Record<string, Scalar>>; dmlRows?: number }
  | { error: { status: number; reason: string; message: string } };

export interface Recorded extends Statement {
  api: 'jobs.insert' | 'jobs.query' | 'getQueryResults' | 'jobs.get';
  dryRun: boolean;
  maximumBytesBilled: string | null;
  location: string | null;
  project: string;
  authorization: string | null;
}

interface QueryParameter {
  name?: string;
  parameterType: { type: string; arrayType?: QueryParameter['parameterType']; structTypes?: Array<{ name: string; type: QueryParameter['parameterType'] }> };
  parameterValue: RawValue;
}
interface RawValue {
  value?: string;
  arrayValues?: RawValue[];
  structValues?: Record<string, RawValue>;
}

function typeName(t: QueryParameter['parameterType']): string {
  if (t.type === 'ARRAY' && t.arrayType) return `ARRAY<${typeName(t.arrayType)}>`;
  if (t.type === 'STRUCT' && t.structTypes) return `STRUCT<${t.structTypes.map((s) => `${s.name} ${typeName(s.type)}`).join(', ')}>`;
  return t.type;
}

function decode(t: QueryParameter['parameterType'], v: RawValue | undefined): ParamValue {
  if (!v) return null;
  if (t.type === 'ARRAY') return (v.arrayValues ?? []).map((x) => decode(t.arrayType!, x));
  if (t.type === 'STRUCT') return Object.fromEntries((t.structTypes ?? []).map((s) => [s.name, decode(s.type, v.structValues?.[s.name])]));
  if (v.value === undefined || v.value === null) return null;
  if (t.type === 'INT64' || t.type === 'FLOAT64') return Number(v.value);
  if (t.type === 'BOOL') return v.value === 'true';
  return v.value;
}

function columnType(rows: Array<Record<string, Scalar>>, col: string): string {
  const v = rows.map((r) => r[col]).find((x) => x !== null && x !== undefined);
  if (typeof v === 'boolean') return 'BOOLEAN';
  if (typeof v === 'number') return rows.every((r) => r[col] === null || Number.isInteger(r[col])) ? 'INTEGER' : 'FLOAT';
  return 'STRING';
}

function resultBody(rows: Array<Record<string, Scalar>>): { schema: { fields: Array<{ name: string; type: string }> }; rows: Array<{ f: Array<{ v: string | null }> }>; totalRows: string } {
  const cols = rows.length > 0 ? Object.keys(rows[0]) : [];
  return {
    schema: { fields: cols.map((name) => ({ name, type: columnType(rows, name), mode: 'NULLABLE' })) },
    rows: rows.map((r) => ({ f: cols.map((c) => ({ v: r[c] === null || r[c] === undefined ? null : String(r[c]) })) })),
    totalRows: String(rows.length),
  };
}

export class FakeBigQuery {
  readonly calls: Recorded[] = [];
  /** How each statement is answered (asked once for its dry run, once for the run); the default is no rows and 1 MiB. */
  answer: (s: Statement, how: { dryRun: boolean }) => Answer = () => ({ bytes: 1024 * 1024, rows: [] });
  private readonly results = new Map<string, { rows: Array<Record<string, Scalar>>; dmlRows?: number }>();
  private server?: Server;
  endpoint = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  of(kind: string): Recorded[] {
    return this.calls.filter((c) => c.kind === kind);
  }

  private statement(sql: string, params: QueryParameter[] | undefined): Statement {
    const kind = /^-- product-os:([a-z-]+)/.exec(sql)?.[1] ?? 'untagged';
    const decoded: Record<string, ParamValue> = {};
    const types: Record<string, string> = {};
    for (const p of params ?? []) {
      decoded[p.name ?? ''] = decode(p.parameterType, p.parameterValue);
      types[p.name ?? ''] = typeName(p.parameterType);
    }
    return { kind, sql, params: decoded, types };
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(JSON.stringify(body));
  }

  private error(res: ServerResponse, e: { status: number; reason: string; message: string }): void {
    const status = { 400: 'INVALID_ARGUMENT', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND' }[e.status] ?? 'UNKNOWN';
    this.send(res, e.status, { error: { code: e.status, message: e.message, errors: [{ message: e.message, domain: 'global', reason: e.reason }], status } });
  }

  private capError(bytes: number, cap: string): { status: number; reason: string; message: string } {
    return { status: 400, reason: 'bytesBilledLimitExceeded', message: `Query exceeded limit for bytes billed: ${cap}. ${Math.max(bytes, 10_485_760)} or higher required.` };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    const m = /^\/bigquery\/v2\/projects\/([^/]+)\/(jobs|queries)(?:\/([^/?]+))?$/.exec(url.pathname);
    if (!m) return this.send(res, 404, { error: { code: 404, message: `the fake has no ${req.method} ${url.pathname}`, errors: [{ reason: 'notFound', message: 'no such path' }] } });
    const [, project, collection, id] = m;
    const authorization = req.headers.authorization ?? null;
    const base = { project, authorization };

    if (req.method === 'POST' && collection === 'jobs' && !id) {
      const cfg = (body.configuration ?? {}) as { dryRun?: boolean; query?: { query: string; queryParameters?: QueryParameter[]; maximumBytesBilled?: string } };
      const ref = (body.jobReference ?? {}) as { jobId?: string; location?: string };
      const st = this.statement(cfg.query?.query ?? '', cfg.query?.queryParameters);
      const dryRun = cfg.dryRun === true;
      this.calls.push({ ...st, ...base, api: 'jobs.insert', dryRun, maximumBytesBilled: cfg.query?.maximumBytesBilled ?? null, location: ref.location ?? null });
      const a = this.answer(st, { dryRun });
      if ('error' in a) return this.error(res, a.error);
      const jobId = ref.jobId ?? randomUUID();
      const bytes = String(a.bytes ?? 0);
      const job = { kind: 'bigquery#job', id: `${project}:${ref.location ?? 'US'}.${jobId}`, jobReference: { projectId: project, jobId, location: ref.location ?? 'US' }, configuration: body.configuration };
      if (dryRun) return this.send(res, 200, { ...job, status: { state: 'DONE' }, statistics: { totalBytesProcessed: bytes, query: { totalBytesProcessed: bytes, statementType: 'SELECT' } } });
      const cap = cfg.query?.maximumBytesBilled;
      if (cap !== undefined && Number(bytes) > Number(cap)) {
        // As BigQuery does: the job is created and fails; its status carries the reason.
        const e = this.capError(Number(bytes), cap);
        return this.send(res, 200, { ...job, status: { state: 'DONE', errorResult: { reason: e.reason, message: e.message }, errors: [{ reason: e.reason, message: e.message }] } });
      }
      this.results.set(jobId, { rows: a.rows ?? [], dmlRows: a.dmlRows });
      return this.send(res, 200, { ...job, status: { state: 'DONE' }, statistics: { totalBytesProcessed: bytes, query: { totalBytesProcessed: bytes, totalBytesBilled: bytes } } });
    }

    if (req.method === 'POST' && collection === 'queries' && !id) {
      const q = body as { query: string; queryParameters?: QueryParameter[]; maximumBytesBilled?: string; location?: string };
      const st = this.statement(q.query, q.queryParameters);
      this.calls.push({ ...st, ...base, api: 'jobs.query', dryRun: false, maximumBytesBilled: q.maximumBytesBilled ?? null, location: q.location ?? null });
      const a = this.answer(st, { dryRun: false });
      if ('error' in a) return this.error(res, a.error);
      if (q.maximumBytesBilled !== undefined && (a.bytes ?? 0) > Number(q.maximumBytesBilled)) return this.error(res, this.capError(a.bytes ?? 0, q.maximumBytesBilled));
      const jobId = randomUUID();
      this.results.set(jobId, { rows: a.rows ?? [], dmlRows: a.dmlRows });
      return this.send(res, 200, {
        kind: 'bigquery#queryResponse',
        jobReference: { projectId: project, jobId, location: q.location ?? 'US' },
        jobComplete: true,
        ...resultBody(a.rows ?? []),
        ...(a.dmlRows === undefined ? {} : { numDmlAffectedRows: String(a.dmlRows) }),
      });
    }

    if (req.method === 'GET' && id) {
      const r = this.results.get(id);
      this.calls.push({ kind: 'results', sql: '', params: {}, types: {}, ...base, api: collection === 'queries' ? 'getQueryResults' : 'jobs.get', dryRun: false, maximumBytesBilled: null, location: url.searchParams.get('location') });
      if (!r) return this.error(res, { status: 404, reason: 'notFound', message: `Not found: Job ${project}:${id}` });
      if (collection === 'jobs') return this.send(res, 200, { kind: 'bigquery#job', jobReference: { projectId: project, jobId: id }, status: { state: 'DONE' } });
      const maxResults = url.searchParams.get('maxResults');
      const rows = maxResults === '0' ? [] : r.rows;
      return this.send(res, 200, {
        kind: 'bigquery#getQueryResultsResponse',
        jobReference: { projectId: project, jobId: id },
        jobComplete: true,
        ...resultBody(rows),
        totalRows: String(r.rows.length),
        ...(r.dmlRows === undefined ? {} : { numDmlAffectedRows: String(r.dmlRows) }),
      });
    }
    return this.send(res, 405, { error: { code: 405, message: `${req.method} not supported by the fake`, errors: [{ reason: 'invalid' }] } });
  }
}
