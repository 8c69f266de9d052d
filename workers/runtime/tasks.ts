import type { Task } from './task';
import type { ImplementedTask, PendingTask } from './task-names';
import { allocate, echo, logLines, sleepTask } from './test-tasks';
import { cardAgent, gpuReport, logTriage, serviceMap } from './ops-tasks';

/** The task table: every name in task-names.ts, and nothing else. */
export const TASKS: Record<ImplementedTask | PendingTask, Task> = {
  echo,
  sleep: sleepTask,
  allocate,
  log_lines: logLines,
  log_triage: logTriage,
  gpu_report: gpuReport,
  service_map: serviceMap,
  card_agent: cardAgent,
};
