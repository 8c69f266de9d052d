import { TaskError, type Task } from './task';

/** The service_map task. Placeholder: answers not_implemented until its implementation lands here. */
export const serviceMap: Task = async () => {
  throw new TaskError('not_implemented', 'the service_map task is not implemented in this worker image yet');
};
