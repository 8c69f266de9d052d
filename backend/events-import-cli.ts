import * as path from 'node:path';
import type { Backend } from './main';
import { ProductOsError } from './errors';
import type { ImportFormat, ImportReport } from './analytics/import-file';

export const EVENTS_USAGE = `product-os events import FILE [--on-error stop|skip] [--format csv|jsonl|parquet] [--data DIR]

  Imports product events from a CSV (header: user_id, event or event_name, timestamp, optional
  event_id and properties as JSON; other columns become properties), JSON lines or Parquet file
  into the data folder's events. All or nothing: rows are staged and committed together at the
  end, so an interrupted import counts nothing. A bad row is reported with its line; with
  --on-error stop (the default) it ends the import, with --on-error skip it is left out.`;

const gb = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(1)} MB`);

/** The import on a backend this command opened on the data folder; the report on stdout. */
export async function runEventsImport(
  backend: Backend,
  file: string,
  opts: { onError: 'stop' | 'skip'; format?: ImportFormat; signal?: AbortSignal; stderr: (line: string) => void },
): Promise<ImportReport> {
  const w = await backend.analytics.warehouse();
  const name = path.basename(file);
  // DuckDB's native binding loads for an import, not for every CLI command.
  const { importEventsFile } = await import('./analytics/import-file');
  const report = await importEventsFile(w, path.resolve(file), {
    onError: opts.onError,
    format: opts.format,
    signal: opts.signal,
    progress: (p) => opts.stderr(`importing ${name}: ${p.rows.toLocaleString('en-US')} rows read, ${p.total ? Math.floor((100 * p.bytes) / p.total) : 0} % (${gb(p.bytes)} of ${gb(p.total)})`),
  });
  for (const e of report.errors) opts.stderr(`${name} line ${e.line}: ${e.message} (skipped)`);
  if (report.skipped > report.errors.length) opts.stderr(`… and ${report.skipped - report.errors.length} more bad rows skipped`);
  return report;
}

export function parseOnError(v: string | undefined): 'stop' | 'skip' {
  if (v === undefined || v === 'stop' || v === 'skip') return v ?? 'stop';
  throw new ProductOsError('invalid_input', `--on-error must be stop or skip, got "${v}"`);
}

export function parseFormat(v: string | undefined): ImportFormat | undefined {
  if (v === undefined || v === 'csv' || v === 'jsonl' || v === 'parquet') return v;
  throw new ProductOsError('invalid_input', `--format must be csv, jsonl or parquet, got "${v}"`);
}
