import { buildGpuReport, GpuContextError, readGpuContext } from './report';
import { TaskError, type Task } from '../../runtime/task';

/**
 * The gpu_report task. The worker has no access to the host's GPUs or to Docker: the backend
 * reads nvidia-smi and the pids of allowlisted containers and hands them in `job.context`
 * (context.ts, run in the backend); this builds the report from them (report.ts). No GPU is
 * a normal report with `source: 'none'`.
 */
export const gpuReport: Task = async (input, io) => {
  const includeContainers = !(input && typeof input === 'object' && (input as Record<string, unknown>).include_containers === false);
  let report;
  try {
    report = buildGpuReport(readGpuContext(io.job.context), { includeContainers });
  } catch (err) {
    if (err instanceof GpuContextError) throw new TaskError('executor_failed', `the backend's GPU facts are unusable: ${err.message}`);
    throw err;
  }
  io.log('info', `gpu report: ${report.gpus.length} GPU(s) from ${report.source}, ${report.containers.length} container(s)`, {
    gpus: report.gpus.length,
    containers: report.containers.length,
    source: report.source,
  });
  return report;
};
