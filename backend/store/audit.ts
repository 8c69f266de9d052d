import type { Queryable } from './db';

export interface AuditEntry {
  caller: string;
  action: string;
  tool?: string | null;
  runId?: string | null;
  argsShape?: unknown;
  outcome: string;
  details?: Record<string, unknown>;
}

/** Append-only. Holds the shape of arguments, never their values. */
export async function audit(q: Queryable, e: AuditEntry): Promise<void> {
  await q.query('INSERT INTO audit_log (caller, action, tool, run_id, args_shape, outcome, details) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7::jsonb)', [
    e.caller,
    e.action,
    e.tool ?? null,
    e.runId ?? null,
    e.argsShape === undefined ? null : JSON.stringify(e.argsShape),
    e.outcome,
    JSON.stringify(e.details ?? {}),
  ]);
}
