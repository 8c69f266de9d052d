/**
 * Calling the deploy tools for the Services view: a run, waited for on the backend's wait
 * route, its output or its error. Each is labelled a view read (contracts/run-origin.ts): the
 * Runs view and panel hide them unless asked, since the person did not start them.
 */
import type { Run } from '../../contracts/rest';
import { settle } from '../../contracts/client';
import { VIEW_READ_LABELS } from '../../contracts/run-origin';
import type { Services } from '../services';

export async function callTool<T>(s: Services, tool: string, input: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
  const run = await s.api.call('createRun', { body: { tool, input, labels: { ...VIEW_READ_LABELS } } }, signal);
  const done: Run = await settle((args, sig) => s.api.call('waitRun', args, sig), run, { signal });
  if (done.status !== 'succeeded') throw new Error(done.error?.message ?? `${tool} ended ${done.status}`);
  return done.output as T;
}
