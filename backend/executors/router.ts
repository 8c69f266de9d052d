import type { CompiledTool } from '../../registry/loader';
import type { Availability, Executor } from './executor';
import type { LocalExecutor } from './local';
import { executorName, remoteUrl, type ExecutorUrls } from './executor-urls';

export { isPlaceholder } from './executor-urls';

/** Where a run executes, as the run record says: in-process, a worker container, or a remote executor's URL. */
export type Placement = 'local' | 'docker' | string;

/**
 * Picks the executor the registry names. An http tool runs in-process on the local engine
 * while its executor URL is not configured (the registry's URL is still a placeholder and
 * PRODUCT_OS_EXECUTOR_URLS names none for it), and goes to the remote executor once it is.
 */
export class ExecutorRouter {
  constructor(
    /** `tasks`: docker tasks whose backend half drives the worker itself (the card agent), by task name. */
    private readonly executors: { local: LocalExecutor; docker: Executor; http: Executor; tasks?: Readonly<Record<string, Executor>> },
    private readonly urls: ExecutorUrls = {},
  ) {}

  for(tool: CompiledTool): Executor {
    const kind = this.kind(tool);
    const e = tool.spec.executor;
    if (e.kind === 'docker' && this.executors.tasks && Object.hasOwn(this.executors.tasks, e.task)) return this.executors.tasks[e.task]!;
    return kind === 'http' ? this.executors.http : kind === 'docker' ? this.executors.docker : this.executors.local;
  }

  /** What the run record stores as where the run executed. */
  placement(tool: CompiledTool): Placement {
    const kind = this.kind(tool);
    return kind === 'http' ? (remoteUrl(tool, this.urls) as string) : kind;
  }

  /** The configured base URL of an http tool's executor (the registry's when it is real). */
  urlFor(tool: CompiledTool): string | undefined {
    return remoteUrl(tool, this.urls);
  }

  availability(tool: CompiledTool): Availability {
    const a = this.for(tool).availability(tool);
    const e = tool.spec.executor;
    if (!a.available && e.kind === 'http' && this.kind(tool) === 'local') {
      const name = executorName(e.url);
      return {
        available: false,
        code: 'not_configured',
        reason: `${tool.name} runs on the remote executor "${name}", whose URL is not configured, and has no local implementation: set PRODUCT_OS_EXECUTOR_URLS=${name}=https://…`,
      };
    }
    return a;
  }

  private kind(tool: CompiledTool): 'local' | 'docker' | 'http' {
    const e = tool.spec.executor;
    if (e.kind === 'http') return remoteUrl(tool, this.urls) === undefined ? 'local' : 'http';
    return e.kind;
  }
}
