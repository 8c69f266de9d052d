import type Dockerode from 'dockerode';
import type { Db } from '../store/db';
import { liveInstances, markStoppedExcept } from '../store/instances';
import { STALE_AFTER_S } from '../runs/engine';
import { LABELS, POOL_RUN_LABEL } from './docker-hardening';
import { workerAudit } from './docker-audit';

export interface SweepResult {
  removed: Array<{ id: string; session: string; run: string | null }>;
  kept: number;
}

/**
 * Removes worker containers (running or not) whose backend session is no longer a live
 * backend instance of this store. An embedded store (Db.exclusive) has one backend at a time, so
 * every session but `self` is dead; with a shared PostgreSQL the sessions whose heart still
 * beats are kept.
 * Containers of other stores (another installation on the same engine) are never touched.
 * The runs those containers served are settled by the runs engine's own recovery.
 */
export async function sweepOrphanWorkers(docker: Dockerode, db: Db, opts: { storeId: string; self: string }): Promise<SweepResult> {
  const live = new Set([opts.self, ...(db.exclusive ? [] : await liveInstances(db, STALE_AFTER_S))]);
  const containers = await docker.listContainers({ all: true, filters: { label: [`${LABELS.store}=${opts.storeId}`] } });
  const result: SweepResult = { removed: [], kept: 0 };
  for (const c of containers) {
    const session = c.Labels[LABELS.session] ?? '';
    if (live.has(session)) {
      result.kept += 1;
      continue;
    }
    try {
      await docker.getContainer(c.Id).remove({ force: true });
    } catch (err) {
      const code = (err as { statusCode?: number }).statusCode;
      if (code !== 404 && code !== 409) throw err;
    }
    // A warm-pool worker's run is not in its labels (fixed before it had one): the audit has it.
    const runLabel = c.Labels[LABELS.run];
    const run =
      runLabel && runLabel !== POOL_RUN_LABEL
        ? runLabel
        : ((await db.query<{ run_id: string }>(`SELECT run_id FROM worker_audit WHERE container_id = $1 AND action = 'assign' LIMIT 1`, [c.Id]))[0]?.run_id ?? null);
    result.removed.push({ id: c.Id, session, run });
    await workerAudit(db, {
      session: opts.self,
      action: 'sweep',
      runId: run && /^[0-9a-f-]{36}$/i.test(run) ? run : null,
      tool: c.Labels[LABELS.tool] ?? null,
      containerId: c.Id,
      image: c.Labels[LABELS.image] ?? c.Image,
      outcome: 'removed',
      details: { orphanOf: session, state: c.State },
    });
  }
  // On an embedded store every other session is dead for good and what it left is gone now:
  // marked stopped, it no longer makes a start ask Docker (see createBackend); its runs are
  // settled by the engine's recovery as before. (On a shared store a session that missed its
  // heartbeats may yet come back, so it is left as it is.)
  if (db.exclusive) await markStoppedExcept(db, [...live]);
  return result;
}
