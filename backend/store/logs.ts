import type { Queryable } from './db';
import type { ListLogsQuery, LogLevel, LogLine } from '../../contracts/rest';

interface LogRow {
  id: number;
  ts: Date;
  level: LogLevel;
  source: string;
  run_id: string | null;
  message: string;
  fields: Record<string, unknown>;
}
const toLine = (r: LogRow): LogLine => ({
  id: Number(r.id),
  ts: new Date(r.ts).toISOString(),
  level: r.level,
  source: r.source,
  runId: r.run_id,
  message: r.message,
  fields: r.fields,
});

export async function insertLog(
  q: Queryable,
  line: { level: LogLevel; source: string; runId?: string | null; message: string; fields?: Record<string, unknown> },
): Promise<LogLine> {
  const rows = await q.query<LogRow>('INSERT INTO logs (level, source, run_id, message, fields) VALUES ($1, $2, $3, $4, $5::jsonb) RETURNING *', [
    line.level,
    line.source,
    line.runId ?? null,
    line.message,
    JSON.stringify(line.fields ?? {}),
  ]);
  return toLine(rows[0]);
}

const LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Oldest first after `afterId`, so a client can page forward and then follow the stream. */
export async function listLogs(q: Queryable, query: ListLogsQuery): Promise<LogLine[]> {
  const params: unknown[] = [query.afterId ?? 0];
  let where = 'id > $1';
  if (query.runId) {
    params.push(query.runId);
    where += ` AND run_id = $${params.length}`;
  }
  if (query.level) {
    params.push(LEVELS.slice(LEVELS.indexOf(query.level)));
    where += ` AND level = ANY($${params.length}::text[])`;
  }
  params.push(query.limit ?? 200);
  const rows = await q.query<LogRow>(`SELECT * FROM logs WHERE ${where} ORDER BY id LIMIT $${params.length}`, params);
  return rows.map(toLine);
}

export function levelAtLeast(level: LogLevel, min: LogLevel | undefined): boolean {
  return !min || LEVELS.indexOf(level) >= LEVELS.indexOf(min);
}
