import type { CompiledTool } from '../../registry/loader';
import type { Availability, Executor } from './executor';
import type { LocalExecutor } from './local';

/**
 * Picks the executor the registry names. An http tool with `fallback: local` runs in-process
 * until a remote executor URL is configured (its URL in the registry is still a placeholder).
 */
export class ExecutorRouter {
  constructor(private readonly executors: { local: LocalExecutor; docker: Executor; http: Executor }) {}

  for(tool: CompiledTool): Executor {
    const e = tool.spec.executor;
    if (e.kind === 'http' && e.fallback === 'local' && isPlaceholder(e.url)) return this.executors.local;
    return this.executors[e.kind];
  }

  availability(tool: CompiledTool): Availability {
    return this.for(tool).availability(tool);
  }
}

export function isPlaceholder(url: string): boolean {
  return url.includes('REPLACE');
}
