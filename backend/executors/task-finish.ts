/**
 * What the backend adds to a docker task's result after the worker returned it, before the
 * engine validates it: work that belongs in the backend rather than in the sandbox — a call
 * to the local model, metered against the run (log_triage's optional `summary`). A task with
 * no entry is returned as the worker made it.
 */
import type { ExecutionContext } from './executor';
import { addTriageSummary } from '../tools/triage-model-summary';

type TaskFinisher = (output: unknown, ctx: ExecutionContext) => Promise<unknown>;

const TASK_FINISHERS: Readonly<Record<string, TaskFinisher>> = {
  log_triage: addTriageSummary,
};

export function finishTask(task: string, output: unknown, ctx: ExecutionContext): Promise<unknown> {
  const finish = Object.hasOwn(TASK_FINISHERS, task) ? TASK_FINISHERS[task] : undefined;
  return finish ? finish(output, ctx) : Promise.resolve(output);
}
