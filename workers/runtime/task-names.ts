/**
 * The tasks a worker image can run, by name, without their code: the backend reads this list
 * to answer "is this docker tool available?" and never bundles the tasks themselves.
 *
 * Ops tasks (log_triage, gpu_report, service_map) are hooks: their names are reserved, and
 * each moves to IMPLEMENTED_TASKS when its implementation is plugged into `tasks.ts`.
 */
export const IMPLEMENTED_TASKS = ['echo', 'sleep', 'allocate', 'log_lines', 'gpu_report', 'service_map', 'log_triage', 'card_agent'] as const;
export const PENDING_TASKS = [] as const;

export type ImplementedTask = (typeof IMPLEMENTED_TASKS)[number];
export type PendingTask = (typeof PENDING_TASKS)[number];

export function isImplementedTask(name: string): name is ImplementedTask {
  return (IMPLEMENTED_TASKS as readonly string[]).includes(name);
}
