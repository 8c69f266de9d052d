import { buildServiceMap, readServiceContext, ServiceContextError } from './map';
import { TaskError, type Task } from '../../runtime/task';

/**
 * The service_map task. The worker has no Docker socket: the backend collects the allowlisted
 * containers (names, networks, ports, links, environment variable names, which container an
 * environment value refers to; never the values) into `job.context.containers`
 * (context.ts, run in the backend); this turns them into nodes and edges (map.ts).
 */
export const serviceMap: Task = async (_input, io) => {
  let containers;
  try {
    containers = readServiceContext(io.job.context);
  } catch (err) {
    if (err instanceof ServiceContextError) throw new TaskError('executor_failed', `the backend's container facts are unusable: ${err.message}`);
    throw err;
  }
  const map = buildServiceMap(containers);
  const count = (kind: string) => map.edges.filter((e) => e.kind === kind).length;
  io.log('info', `service map: ${map.nodes.length} container(s), ${map.edges.length} edge(s)`, {
    nodes: map.nodes.length,
    network_edges: count('network'),
    link_edges: count('link'),
    env_reference_edges: count('env_reference'),
  });
  return map;
};
