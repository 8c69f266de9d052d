import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Queryable } from '../../backend/store/db';

/**
 * The token-counts-only proof: text that passes through a model (a prompt template, a file an
 * LLM tool reads, the model's raw answer) carries unique markers, and after the runs not one of
 * them may be found in a full dump of the database, the logs or the data folder. Any LLM tool's
 * test can call this: make markers, put them where only the model sees them, run the tool,
 * then `findCanaries`.
 */
export function canaryMarker(label: string): string {
  return `CANARY${label.toUpperCase().replace(/[^A-Z0-9]/g, '')}${randomBytes(8).toString('hex').toUpperCase()}`;
}

export interface CanaryScan {
  /** The store: every row of every table of its schema is read as JSON. */
  db: Queryable;
  /** Lines the backend logged (its stderr mirror) and anything else captured. */
  logs?: readonly string[];
  /** Folders whose every file is read, bytes and all (the data folder, a workspace). */
  folders?: readonly string[];
}

/** Where each marker was found ("table runs", "log line 12", "file …/x.json"): empty when none. */
export async function findCanaries(markers: readonly string[], scan: CanaryScan): Promise<string[]> {
  const found: string[] = [];
  const look = (text: string, where: string) => {
    for (const m of markers) if (text.includes(m)) found.push(`${m} in ${where}`);
  };
  const tables = await scan.db.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`);
  if (tables.length === 0) throw new Error('findCanaries: the store has no tables (wrong schema?)');
  for (const { table_name } of tables) {
    const rows = await scan.db.query<{ row: unknown }>(`SELECT row_to_json(t)::text AS row FROM "${table_name.replace(/"/g, '""')}" t`);
    for (const r of rows) look(String(r.row), `table ${table_name}`);
  }
  (scan.logs ?? []).forEach((line, i) => look(line, `log line ${i + 1}`));
  for (const folder of scan.folders ?? []) walk(folder, (file) => look(fs.readFileSync(file).toString('latin1'), `file ${file}`));
  return found;
}

function walk(dir: string, visit: (file: string) => void, depth = 0): void {
  if (depth > 32 || !fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(p, visit, depth + 1);
    else if (entry.isFile()) visit(p);
  }
}
