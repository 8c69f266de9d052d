import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { DuckDBInstance, JSDuckDBValueConverter } from '@duckdb/node-api';
import { ProductOsError } from '../errors';
import { CsvRecords } from './csv-records';
import { checkEvent, type RawEvent } from './event-check';
import type { EventRow, EventStaging, Warehouse } from './warehouse';

export type ImportFormat = 'csv' | 'jsonl' | 'parquet';

export interface ImportOptions {
  format?: ImportFormat;
  /** stop: the first bad row ends the import and nothing is stored; skip: bad rows are reported and left out. */
  onError: 'stop' | 'skip';
  /** Called about every two seconds while rows are read: rows so far, bytes read, file size. */
  progress?: (p: { rows: number; bytes: number; total: number }) => void;
  /** Stops reading (nothing is stored) when aborted. */
  signal?: AbortSignal;
  /** Rows staged per batch. */
  batchRows?: number;
}

export interface ImportReport {
  file: string;
  format: ImportFormat;
  rows: number;
  inserted: number;
  duplicates: number;
  skipped: number;
  /** The first bad rows (at most 20), by line (row number for Parquet). */
  errors: Array<{ line: number; message: string }>;
}

const MAX_REPORTED = 20;
/** Column names that mean the event's fields; every other column becomes a property. */
const FIELDS: Record<string, keyof RawEvent> = {
  event_id: 'event_id',
  id: 'event_id',
  user_id: 'user_id',
  event: 'event_name',
  event_name: 'event_name',
  timestamp: 'timestamp',
  time: 'timestamp',
  properties: 'properties',
};

export function formatOf(file: string): ImportFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  if (ext === '.parquet') return 'parquet';
  throw new ProductOsError('invalid_input', `cannot tell the format of ${path.basename(file)} from its extension: use .csv, .jsonl (or .ndjson) or .parquet, or pass --format`);
}

/** One source row, as a raw event plus anything else it carries (extra columns → properties). */
function toRaw(record: Record<string, unknown>): RawEvent {
  const raw: RawEvent = {};
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    const field = FIELDS[k.trim().toLowerCase()];
    if (field) raw[field] = v;
    else if (v !== '' && v !== null && v !== undefined) extra[k] = v;
  }
  if (Object.keys(extra).length > 0) {
    let props: unknown = raw.properties ?? {};
    if (typeof props === 'string' && props.trim() !== '') {
      try {
        props = JSON.parse(props);
      } catch {
        return raw; // checkEvent reports the broken JSON
      }
    }
    if (typeof props === 'object' && props !== null && !Array.isArray(props)) raw.properties = { ...extra, ...(props as object) };
  }
  return raw;
}

/** The file's rows, each with its line (or row) number, or the problem that makes it unreadable. */
async function* readRows(file: string, format: ImportFormat, onBytes: (n: number) => void): AsyncGenerator<{ line: number; record?: Record<string, unknown>; problem?: string }> {
  if (format === 'parquet') {
    yield* readParquet(file, onBytes);
    return;
  }
  const stream = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  stream.on('data', (chunk) => onBytes(Buffer.byteLength(chunk as string)));
  if (format === 'jsonl') {
    const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
    let n = 0;
    for await (const text of lines) {
      n++;
      if (text.trim() === '') continue;
      try {
        const v = JSON.parse(text) as unknown;
        if (typeof v !== 'object' || v === null || Array.isArray(v)) yield { line: n, problem: 'the line is not a JSON object' };
        else yield { line: n, record: v as Record<string, unknown> };
      } catch (err) {
        yield { line: n, problem: `the line is not valid JSON (${(err as Error).message})` };
      }
    }
    return;
  }
  const csv = new CsvRecords();
  let header: string[] | undefined;
  const emit = function* (records: ReturnType<CsvRecords['push']>) {
    for (const r of records) {
      if (!header) {
        header = r.fields.map((f) => f.trim());
        const named = new Set(header.map((h) => FIELDS[h.toLowerCase()]));
        const missing = (['user_id', 'event_name', 'timestamp'] as const).filter((f) => !named.has(f));
        if (missing.length > 0) throw new ProductOsError('invalid_input', `line ${r.line}: the header has no ${missing.join(', ')} column (it needs user_id, event or event_name, timestamp; other columns become properties)`);
        continue;
      }
      if (r.problem) yield { line: r.line, problem: `broken CSV: ${r.problem}` };
      else if (r.fields.length !== header.length) yield { line: r.line, problem: `${r.fields.length} fields where the header has ${header.length}` };
      else yield { line: r.line, record: Object.fromEntries(header.map((h, i) => [h, r.fields[i]])) };
    }
  };
  for await (const chunk of stream) yield* emit(csv.push(chunk as string));
  yield* emit(csv.end());
  if (!header) throw new ProductOsError('invalid_input', `${path.basename(file)} is empty: a CSV import needs a header line and rows`);
}

/** Parquet through a throwaway in-memory DuckDB (it never touches the events database). */
async function* readParquet(file: string, onBytes: (n: number) => void): AsyncGenerator<{ line: number; record?: Record<string, unknown>; problem?: string }> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    let result;
    let total: number;
    try {
      // Counted first: a query on the connection would end the stream below.
      const count = await conn.runAndReadAll(`SELECT count(*)::DOUBLE AS n FROM read_parquet($file)`, { file });
      total = Number((count.getRowObjectsJson()[0] as { n: number }).n);
      result = await conn.stream(`SELECT * FROM read_parquet($file, file_row_number = true)`, { file });
    } catch (err) {
      throw new ProductOsError('invalid_input', `${path.basename(file)} is not a readable Parquet file: ${(err as Error).message}`);
    }
    const size = fs.statSync(file).size;
    let rows = 0;
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const names = result.columnNames();
      for (const values of chunk.convertRows(JSDuckDBValueConverter)) {
        const record: Record<string, unknown> = {};
        let line = 0;
        names.forEach((n, i) => {
          if (n === 'file_row_number') line = Number(values[i]) + 1;
          else record[n] = jsValue(values[i]);
        });
        rows++;
        yield { line, record };
      }
      // Parquet is columnar: progress in bytes is only an estimate, by rows read of rows in the file.
      onBytes(total > 0 ? Math.round((size * chunk.rowCount) / total) : 0);
    }
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

function jsValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.toISOString();
  return v;
}

/**
 * `product-os events import FILE`: reads the file in batches into a staging area and commits
 * it in one transaction at the end. A bad row is reported with its line; with onError "stop"
 * it ends the import with nothing stored, with "skip" it is left out and counted. Killed
 * midway, nothing is counted: the staged rows never reached the events.
 */
export async function importEventsFile(w: Warehouse, file: string, o: ImportOptions): Promise<ImportReport> {
  const format = o.format ?? formatOf(file);
  let total: number;
  try {
    total = fs.statSync(file).size;
  } catch {
    throw new ProductOsError('not_found', `no file ${file}`);
  }
  const report: ImportReport = { file, format, rows: 0, inserted: 0, duplicates: 0, skipped: 0, errors: [] };
  const batchRows = o.batchRows ?? 10_000;
  let bytes = 0;
  let lastProgress = Date.now();
  if (!w.stage) throw new ProductOsError('not_implemented', `importing a file into ${w.engine} is not supported here: load it with the engine's own tools, or send it through events.ingest`);
  const staging: EventStaging = await w.stage();
  let committed = false;
  try {
    let batch: Array<EventRow & { line: number }> = [];
    const now = Date.now();
    for await (const r of readRows(file, format, (n) => (bytes += n))) {
      o.signal?.throwIfAborted();
      report.rows++;
      const checked = r.problem ? { problem: r.problem } : checkEvent(toRaw(r.record!), now);
      if ('problem' in checked) {
        if (o.onError === 'stop') {
          throw new ProductOsError('invalid_input', `${path.basename(file)} line ${r.line}: ${checked.problem}. Nothing was imported (--on-error skip imports the other rows).`, { line: r.line });
        }
        report.skipped++;
        if (report.errors.length < MAX_REPORTED) report.errors.push({ line: r.line, message: checked.problem });
        continue;
      }
      batch.push({ ...checked.row, line: r.line });
      if (batch.length >= batchRows) {
        await staging.append(batch);
        batch = [];
      }
      if (o.progress && Date.now() - lastProgress > 2000) {
        lastProgress = Date.now();
        o.progress({ rows: report.rows, bytes: Math.min(bytes, total), total });
      }
    }
    await staging.append(batch);
    const result = await staging.commit(`import:${path.basename(file)}`);
    committed = true;
    report.inserted = result.inserted;
    report.duplicates = result.duplicates;
    return report;
  } finally {
    if (!committed) await staging.dispose();
  }
}
