import type { RunStatus } from '../../contracts/rest';

/**
 * The run state machine. Every status change in the engine goes through `assertTransition`
 * and is guarded in SQL by the expected current status, so a race loses cleanly.
 */
const ALLOWED: Record<RunStatus, readonly RunStatus[]> = {
  queued: ['awaiting_approval', 'dispatching', 'cancelled'],
  awaiting_approval: ['queued', 'cancelled'],
  dispatching: ['running', 'queued', 'failed', 'cancelled', 'timed_out'],
  running: ['succeeded', 'failed', 'cancelled', 'timed_out', 'queued'],
  succeeded: [],
  failed: [],
  cancelled: [],
  timed_out: [],
};

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return ALLOWED[from].includes(to);
}

export function assertTransition(from: RunStatus, to: RunStatus): void {
  if (!canTransition(from, to)) throw new Error(`illegal run transition ${from} → ${to}`);
}

export function isTerminal(status: RunStatus): boolean {
  return ALLOWED[status].length === 0;
}
