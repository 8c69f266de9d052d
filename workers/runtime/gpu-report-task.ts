import { TaskError, type Task } from './task';

/** The gpu_report task. Placeholder: answers not_implemented until its implementation lands here. */
export const gpuReport: Task = async () => {
  throw new TaskError('not_implemented', 'the gpu_report task is not implemented in this worker image yet');
};
