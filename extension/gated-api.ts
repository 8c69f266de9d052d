/**
 * The BackendApi that commands, views and panels use: the HTTP client behind the restricted
 * mode gate (extension/trust.ts), so a panel button cannot start a worker or a deploy in an
 * untrusted workspace either.
 */
import type { BackendApi } from './backend-api';
import type { JsonRouteName, RouteArgs } from '../contracts/routes';
import { checkCall, UntrustedWorkspaceError } from './trust';
import type { ToolCatalog } from './tools/tool-catalog';
import type { Translate } from './i18n';

export function gatedApi(inner: BackendApi, tools: ToolCatalog, isTrusted: () => boolean, t: Translate): BackendApi {
  const lookups = {
    isTrusted,
    executorOf: async (tool: string) => (await tools.get(tool))?.executor,
    toolOfRun: async (id: string) => (await inner.call('getRun', { params: { id } })).tool,
  };
  return {
    async call<K extends JsonRouteName>(route: K, args: RouteArgs<K>, signal?: AbortSignal) {
      const refused = await checkCall(route, args, lookups, t);
      if (refused) throw new UntrustedWorkspaceError(refused);
      return inner.call(route, args, signal);
    },
    onRun: (l) => inner.onRun(l),
    onRunEvents: (id, l) => inner.onRunEvents(id, l),
    onLog: (l, runId) => inner.onLog(l, runId),
    onBoardChange: (l) => inner.onBoardChange(l),
    mcpEndpoint: () => inner.mcpEndpoint(),
  };
}
