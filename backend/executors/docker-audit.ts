import type { Queryable } from '../store/db';

export type WorkerAuditAction = 'start' | 'assign' | 'stop' | 'refuse' | 'sweep';

export interface WorkerAuditEntry {
  session: string;
  action: WorkerAuditAction;
  image: string;
  outcome: string;
  runId?: string | null;
  tool?: string | null;
  containerId?: string | null;
  details?: Record<string, unknown>;
}

/** Append-only: one row per worker start, assignment, stop, sweep and refused image. */
export async function workerAudit(q: Queryable, e: WorkerAuditEntry): Promise<void> {
  await q.query(
    'INSERT INTO worker_audit (session, action, run_id, tool, container_id, image, outcome, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)',
    [e.session, e.action, e.runId ?? null, e.tool ?? null, e.containerId ?? null, e.image, e.outcome, JSON.stringify(e.details ?? {})],
  );
}

export interface WorkerAuditRow {
  id: number;
  ts: Date;
  session: string;
  action: WorkerAuditAction;
  run_id: string | null;
  tool: string | null;
  container_id: string | null;
  image: string;
  outcome: string;
  details: Record<string, unknown>;
}

export function workerAuditFor(q: Queryable, runId: string): Promise<WorkerAuditRow[]> {
  return q.query<WorkerAuditRow>('SELECT * FROM worker_audit WHERE run_id = $1 ORDER BY id', [runId]);
}

/** This store's identity (see migration 0004), the `product-os.store` label of its workers. */
export async function workerStoreId(q: Queryable): Promise<string> {
  const rows = await q.query<{ id: string }>('SELECT id FROM worker_store');
  if (rows[0]) return rows[0].id;
  await q.query('INSERT INTO worker_store (one) VALUES (true) ON CONFLICT (one) DO NOTHING');
  return (await q.query<{ id: string }>('SELECT id FROM worker_store'))[0]!.id;
}
