/**
 * The BackendApi that commands, views and panels use: the HTTP client behind the restricted
 * mode gate (extension/trust.ts), so a panel button cannot start a worker or a deploy in an
 * untrusted workspace either.
 */
import type { BackendApi } from './backend-api';
import type { Run } from '../contracts/rest';
import { checkRequest, UntrustedWorkspaceError } from './trust';
import type { ToolCatalog } from './tools/tool-catalog';
import type { Translate } from './i18n';

export function gatedApi(inner: BackendApi, tools: ToolCatalog, isTrusted: () => boolean, t: Translate): BackendApi {
  const lookups = {
    isTrusted,
    executorOf: async (tool: string) => (await tools.get(tool))?.executor,
    toolOfRun: async (id: string) => (await inner.request<Run>('GET', `/api/runs/${encodeURIComponent(id)}`)).tool,
  };
  return {
    async request<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
      const refused = await checkRequest(method, path, body, lookups, t);
      if (refused) throw new UntrustedWorkspaceError(refused);
      return inner.request<T>(method, path, body, signal);
    },
    onRun: (l) => inner.onRun(l),
    onRunEvents: (id, l) => inner.onRunEvents(id, l),
    onLog: (l, runId) => inner.onLog(l, runId),
    mcpEndpoint: () => inner.mcpEndpoint(),
  };
}
