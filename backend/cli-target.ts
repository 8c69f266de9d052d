/**
 * What the CLI talks to: the backend at PRODUCT_OS_URL (over REST), or one it opens itself on
 * the data folder. Both answer the same questions the same way, so `call`, `tools`,
 * `approve` and `deny` are written once.
 */
import * as path from 'node:path';
import { createBackend } from './main';
import { remoteToken } from './remote-token';
import { ProductOsError, type ErrorCode } from './errors';
import { toolInfo } from './api/tool-info';
import type { Run, ToolInfo } from '../contracts/rest';
import { BackendRequestError, callRoute, settle } from '../contracts/client';
import type { JsonRouteName, RouteArgs, RouteResponse } from '../contracts/routes';

export interface CallRequest {
  tool: string;
  input: Record<string, unknown>;
  idempotencyKey?: string;
  correlationId?: string;
}

export interface CliTarget {
  tools(): Promise<ToolInfo[]>;
  /** Submits and waits until the run ends or waits for approval. */
  call(request: CallRequest): Promise<Run>;
  /** Approves (and waits until the run ends) or denies a run waiting for approval. */
  decide(runId: string, decision: 'approve' | 'deny', reason?: string): Promise<Run>;
  close(): Promise<void>;
}

export async function openTarget(data: string | undefined, stderr: (line: string) => void): Promise<CliTarget> {
  const url = process.env.PRODUCT_OS_URL;
  return url ? remoteTarget(url, data) : embeddedTarget(data, stderr);
}

async function embeddedTarget(data: string | undefined, stderr: (line: string) => void): Promise<CliTarget> {
  const backend = await createBackend({ overrides: { ...(data === undefined ? {} : { dataDir: path.resolve(data) }), port: 0 }, stderr });
  const { engine } = backend;
  return {
    tools: async () => [...backend.registry.tools.values()].map((t) => toolInfo(t, backend.context.executors)),
    async call(request) {
      const { run } = await engine.submit({ ...request, caller: 'cli' });
      return engine.waitFor(run.id, { until: 'settled', timeoutMs: 24 * 3600_000 });
    },
    async decide(runId, decision, reason) {
      if (decision === 'deny') return engine.deny(runId, 'cli', reason);
      const run = await engine.approve(runId, 'cli', reason);
      return engine.waitForTerminal(run.id);
    },
    close: () => backend.close(),
  };
}

function remoteTarget(base: string, data: string | undefined): CliTarget {
  const conn = { url: base, token: remoteToken(data) };
  const api = async <K extends JsonRouteName>(route: K, args: RouteArgs<K>): Promise<RouteResponse<K>> => {
    try {
      return await callRoute(conn, route, args, { caller: 'cli' });
    } catch (err) {
      if (err instanceof BackendRequestError) throw new ProductOsError(err.code as ErrorCode, err.message, err.details);
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new ProductOsError('not_configured', `no Product OS backend answers at PRODUCT_OS_URL=${base} (${cause}): start one with "product-os serve", or unset PRODUCT_OS_URL to use the data folder directly`);
    }
  };
  const settled = (run: Run): Promise<Run> => settle((args) => api('waitRun', args), run, { until: 'settled' });
  return {
    tools: async () => (await api('listTools', {})).tools,
    call: async (request) => settled(await api('createRun', { body: request })),
    async decide(runId, decision, reason) {
      const run = await api(decision === 'approve' ? 'approveRun' : 'denyRun', { params: { id: runId }, body: reason ? { reason } : {} });
      return decision === 'deny' ? run : settled(run);
    },
    close: async () => undefined,
  };
}
