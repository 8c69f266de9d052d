/**
 * Run statuses as the extension needs them at run time. The types come from the protocol;
 * the values are repeated here so activation does not load the protocol's schema library
 * (a unit test checks they match contracts/rest.ts).
 */
import type { RunStatus } from '../contracts/rest';

export const TERMINAL: ReadonlySet<RunStatus> = new Set<RunStatus>(['succeeded', 'failed', 'cancelled', 'timed_out']);
export const ACTIVE_STATUSES: readonly RunStatus[] = ['queued', 'awaiting_approval', 'dispatching', 'running'];

export function isTerminal(status: RunStatus): boolean {
  return TERMINAL.has(status);
}
