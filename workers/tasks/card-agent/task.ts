import type { Task } from '../../runtime/task';

const DEFAULT_HOLD_SECONDS = 3600;

/**
 * The card agent's worker entry: it only holds the container open. The backend runs the agent
 * loop itself and starts the sandbox's MCP servers in this container with `docker exec`
 * (card-mcp.js); the backend kills the worker when the run ends. `holdSeconds` (the tool's
 * timeout) bounds it should the backend vanish without a sweep.
 */
export const cardAgent: Task = async (_input, io) => {
  const raw = Number(io.job.context?.holdSeconds);
  const seconds = Number.isInteger(raw) && raw > 0 ? raw : DEFAULT_HOLD_SECONDS;
  io.log('info', 'card sandbox up; the backend reaches /workspace through its MCP servers (docker exec)');
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  return { held_seconds: seconds };
};
