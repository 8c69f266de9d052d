import type { Db } from './db';
import m0001 from './migrations/0001_core';
import m0002 from './migrations/0002_board_and_brain';
import m0003 from './migrations/0003_run_functions';
import m0004 from './migrations/0004_workers';
import m0005 from './migrations/0005_directives';
import m0006 from './migrations/0006_card_priority_archive';
import m0007 from './migrations/0007_container_allowlist_source';
import m0008 from './migrations/0008_card_runs_index';
import m0009 from './migrations/0009_llm_usage_provider';
import m0010 from './migrations/0010_executed_on_and_insights';
import m0014 from './migrations/0014_publish_attempts';
import m0015 from './migrations/0015_insert_ended_runs';
import m0016 from './migrations/0016_insert_runs_compact';
import m0017 from './migrations/0017_insert_runs_set';
import m0018 from './migrations/0018_folded_state_events';

/** Numbered, append-only: a new change is a new entry, never an edit of an applied one. */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  { version: 1, name: 'core', sql: m0001 },
  { version: 2, name: 'board_and_brain', sql: m0002 },
  { version: 3, name: 'run_functions', sql: m0003 },
  { version: 4, name: 'workers', sql: m0004 },
  { version: 5, name: 'directives', sql: m0005 },
  { version: 6, name: 'card_priority_archive', sql: m0006 },
  { version: 7, name: 'container_allowlist_source', sql: m0007 },
  { version: 8, name: 'card_runs_index', sql: m0008 },
  { version: 9, name: 'llm_usage_provider', sql: m0009 },
  { version: 10, name: 'executed_on_and_insights', sql: m0010 },
  { version: 14, name: 'publish_attempts', sql: m0014 },
  { version: 15, name: 'insert_ended_runs', sql: m0015 },
  { version: 16, name: 'insert_runs_compact', sql: m0016 },
  { version: 17, name: 'insert_runs_set', sql: m0017 },
  { version: 18, name: 'folded_state_events', sql: m0018 },
];

/**
 * Applies what is missing, each migration in its own transaction. An advisory lock keeps two
 * backends starting against one PostgreSQL from racing (PGlite has one connection anyway).
 */
export async function migrate(db: Db): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(7193501)');
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}
