/**
 * Waiting for a run to settle: ended, or stopped in `awaiting_approval` (which waits for a
 * person, so a panel must not). Uses the run's event stream (replayed from the start, so a run
 * that ended before we subscribed is seen too) and reads the run once it settles.
 */
import type { Run, StateEventData } from '../../contracts/rest';
import type { BackendApi } from '../backend-api';
import { isTerminal } from '../run-status';

export function isSettled(status: Run['status']): boolean {
  return isTerminal(status) || status === 'awaiting_approval';
}

export async function waitForRun(api: BackendApi, id: string, timeoutMs: number): Promise<Run> {
  const first = await api.request<Run>('GET', `/api/runs/${encodeURIComponent(id)}`);
  if (isSettled(first.status)) return first;
  return new Promise<Run>((resolve, reject) => {
    let done = false;
    let off: (() => void) | null = null;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      off?.();
      // Answer with the run as it stands (on timeout it is still going: the caller says so).
      api.request<Run>('GET', `/api/runs/${encodeURIComponent(id)}`).then(resolve, reject);
    };
    const timer = setTimeout(finish, timeoutMs);
    const unsubscribe = api.onRunEvents(id, (event) => {
      if (event.type !== 'state') return;
      const data = event.data as StateEventData;
      if (data && typeof data.to === 'string' && isSettled(data.to)) finish();
    });
    if (done) unsubscribe();
    else off = unsubscribe;
  });
}
