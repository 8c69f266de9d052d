import * as os from 'node:os';
import type { Queryable } from './db';

/**
 * Backends announce themselves and beat a heart; a run owned by a backend whose heart
 * stopped is an orphan. With PGlite only one process can open the store, so at start-up
 * every other instance is dead by construction.
 */
export async function registerInstance(q: Queryable, id: string): Promise<void> {
  await q.query('INSERT INTO backend_instances (id, pid, host) VALUES ($1, $2, $3)', [id, process.pid, os.hostname()]);
}

export async function heartbeat(q: Queryable, id: string): Promise<void> {
  await q.query('UPDATE backend_instances SET heartbeat_at = now() WHERE id = $1', [id]);
}

export async function markStopped(q: Queryable, id: string): Promise<void> {
  await q.query('UPDATE backend_instances SET stopped_at = now() WHERE id = $1', [id]);
}

/** Instances that beat within `staleSeconds` and have not stopped. */
export async function liveInstances(q: Queryable, staleSeconds: number): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    `SELECT id FROM backend_instances WHERE stopped_at IS NULL AND heartbeat_at > now() - make_interval(secs => $1)`,
    [staleSeconds],
  );
  return rows.map((r) => r.id);
}

/** Whether any backend of this store has not marked itself stopped: one crashed, or one is running now. */
export async function hasUnstoppedInstances(q: Queryable): Promise<boolean> {
  const rows = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM backend_instances WHERE stopped_at IS NULL');
  return rows[0].n > 0;
}

/** Marks every instance but `live` stopped: called once a sweep has removed what dead ones left. */
export async function markStoppedExcept(q: Queryable, live: string[]): Promise<void> {
  await q.query('UPDATE backend_instances SET stopped_at = now() WHERE stopped_at IS NULL AND NOT (id = ANY($1::text[]))', [live]);
}
