import type { CompiledTool } from '../../registry/loader';
import { ProductOsError } from '../errors';
import type { Availability, Executor } from './executor';

/**
 * Stands in for an executor kind that is not built yet (docker workers, remote http
 * executors): tools that need it are listed, and answer not_implemented when called.
 */
export class UnimplementedExecutor implements Executor {
  constructor(private readonly kind: string) {}

  availability(tool: CompiledTool): Availability {
    return { available: false, code: 'not_implemented', reason: `${tool.name} runs on the ${this.kind} executor, which is not implemented yet` };
  }

  async execute(): Promise<never> {
    throw new ProductOsError('not_implemented', `the ${this.kind} executor is not implemented yet`);
  }
}
