import type { CompiledTool } from '../../registry/loader';
import type { Advance, StoredRun } from '../store/runs';

export type OrphanCode = 'backend_crashed' | 'backend_stopped';

/**
 * What becomes of a run whose backend went away (or could not record its end): not started
 * yet, or an idempotent tool with attempts left, goes back to the queue; anything else fails
 * with the reason, so nothing runs twice that should not. Guarded by the owner it had, so a
 * run another backend has taken over meanwhile is left alone.
 */
export function orphanSettlement(run: StoredRun, tool: CompiledTool | undefined, why: string, code: OrphanCode = 'backend_crashed'): Advance {
  const status = run.status as 'dispatching' | 'running';
  const rerun = status === 'dispatching' || (tool?.spec.idempotent === true && run.attempt < run.maxAttempts);
  if (rerun) {
    return { id: run.id, from: [status], steps: [{ from: status, to: 'queued', reason: `${why}; re-queued` }], changes: { owner: null }, expectOwner: run.owner };
  }
  return {
    id: run.id,
    from: [status],
    steps: [{ from: status, to: 'failed', reason: code }],
    changes: {
      owner: null,
      finished: true,
      error: { code, message: `${why}; ${run.tool} is not idempotent, so it was not run again` },
      audit: { caller: 'system', action: 'run.recover', tool: run.tool, outcome: 'failed' },
    },
    expectOwner: run.owner,
  };
}
