/** Calling the deploy tools for the Services view: a run, waited for on the backend's wait route, its output or its error. */
import type { Run } from '../../contracts/rest';
import { settle } from '../../contracts/client';
import type { Services } from '../services';

export async function callTool<T>(s: Services, tool: string, input: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
  const run = await s.api.call('createRun', { body: { tool, input } }, signal);
  const done: Run = await settle((args, sig) => s.api.call('waitRun', args, sig), run, { signal });
  if (done.status !== 'succeeded') throw new Error(done.error?.message ?? `${tool} ended ${done.status}`);
  return done.output as T;
}
