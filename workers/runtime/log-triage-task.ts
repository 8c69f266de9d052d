import { TaskError, type Task } from './task';

/** The log_triage task. Placeholder: answers not_implemented until its implementation lands here. */
export const logTriage: Task = async () => {
  throw new TaskError('not_implemented', 'the log_triage task is not implemented in this worker image yet');
};
