/**
 * The gpu_report task's context, built in the backend (workers never see the host): what
 * nvidia-smi says of the GPUs and their processes, and which host pids belong to which
 * allowlisted container, so the worker can sum GPU memory per container.
 */
import { collectContainers } from '../../../backend/executors/docker-containers';
import { inputFlag, type TaskContextDeps } from '../../../backend/executors/task-context';
import type { GpuReportContext } from '../../../contracts/tasks/gpu-report';

export async function gpuReportContext(input: unknown, deps: TaskContextDeps): Promise<GpuReportContext> {
  const probe = await deps.gpuProbe();
  const want = inputFlag(input, 'include_containers', true) && probe.source !== 'none' && probe.gpus.length > 0;
  const containers = want ? await collectContainers(deps.docker, deps.q, { includeStopped: false, withPids: true }) : [];
  return {
    source: probe.source,
    gpus: probe.gpus,
    processes: probe.processes,
    // Only what the report needs: which host pids belong to which allowlisted container.
    containers: containers.map((c) => ({ id: deps.maskId(c.id), name: c.name, pids: c.pids ?? [] })),
    ...(probe.note ? { note: probe.note } : {}),
  };
}
