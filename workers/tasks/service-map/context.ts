/**
 * The service_map task's context, built in the backend (the only side that talks to Docker):
 * the allowlisted containers, with ids masked as the run's settings say and environment
 * values reduced to which other container they name.
 */
import { collectContainers } from '../../../backend/executors/docker-containers';
import { inputFlag, type TaskContextDeps } from '../../../backend/executors/task-context';
import type { ServiceMapContext } from '../../../contracts/tasks/service-map';

export async function serviceMapContext(input: unknown, deps: TaskContextDeps): Promise<ServiceMapContext> {
  const containers = await collectContainers(deps.docker, deps.q, { includeStopped: inputFlag(input, 'include_stopped', false) });
  return {
    containers: containers.map(({ pids: _pids, ...c }) => ({
      ...c,
      id: deps.maskId(c.id),
      env_references: c.env_references.map((r) => ({ name: r.name, to: deps.maskId(r.to) })),
    })),
  };
}
