import type { CompiledTool } from '../../registry/loader';
import { ProductOsError } from '../errors';
import type { Availability, ExecutionContext, Executor } from './executor';

/**
 * An in-process tool implementation: validated input in, output (validated after) out. A
 * handler that changes data writes through `ctx.commit(async (tx) => { …; return output; })`
 * and returns what it returns, so its effect and the run's success commit together (see
 * ExecutionContext.commit); a read-only handler just returns its output.
 */
export type LocalHandler = (input: never, ctx: ExecutionContext) => Promise<unknown>;

export class LocalExecutor implements Executor {
  constructor(private readonly handlers: ReadonlyMap<string, LocalHandler>) {}

  handlerName(tool: CompiledTool): string {
    const e = tool.spec.executor;
    return e.kind === 'local' ? e.handler : tool.name;
  }

  availability(tool: CompiledTool): Availability {
    const name = this.handlerName(tool);
    return this.handlers.has(name)
      ? { available: true }
      : { available: false, code: 'not_implemented', reason: `${tool.name} has no in-process handler yet (handler "${name}")` };
  }

  async execute(ctx: ExecutionContext): Promise<unknown> {
    const handler = this.handlers.get(this.handlerName(ctx.tool));
    if (!handler) throw new ProductOsError('not_implemented', `${ctx.tool.name} is not implemented yet`);
    return handler(ctx.run.input as never, ctx);
  }
}
