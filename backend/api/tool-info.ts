import type { CompiledTool } from '../../registry/loader';
import type { ExecutorRouter } from '../executors/router';
import type { ToolInfo } from '../../contracts/rest';

/** A registry entry as GET /api/tools shows it, with whether it can run here and now. */
export function toolInfo(tool: CompiledTool, executors: ExecutorRouter): ToolInfo {
  const availability = executors.availability(tool);
  return {
    name: tool.name,
    title: tool.spec.title,
    description: tool.spec.description,
    module: tool.spec.module,
    risk: tool.spec.risk,
    executor: tool.spec.executor.kind,
    available: availability.available,
    ...(availability.available ? {} : { unavailableReason: availability.reason }),
    inputSchema: tool.spec.inputSchema,
    outputSchema: tool.spec.outputSchema,
  };
}
