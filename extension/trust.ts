/**
 * Restricted mode: in a workspace the user has not trusted, nothing that starts a worker
 * container or calls a remote executor (deploys, rollbacks, Cloud Run, log tails) runs from the
 * editor. Local tools (board, brand, ping) still work. Pure: the caller says whether the
 * workspace is trusted and how to look up a tool's executor or a run's tool.
 */
import { format, type Translate } from './i18n';

/** Executors that reach outside the extension's own process. */
export function executorNeedsTrust(executor: string | undefined): boolean {
  return executor === 'docker' || executor === 'http';
}

export interface TrustLookups {
  isTrusted(): boolean;
  /** The executor kind of a tool (from GET /api/tools), undefined if unknown. */
  executorOf(tool: string): Promise<string | undefined>;
  /** The tool of a run (GET /api/runs/:id). */
  toolOfRun(runId: string): Promise<string>;
}

export class UntrustedWorkspaceError extends Error {
  readonly status = 403;
  readonly code = 'untrusted_workspace';
  constructor(message: string) {
    super(message);
    this.name = 'UntrustedWorkspaceError';
  }
}

export function refusal(tool: string, t: Translate = format): string {
  return t('{0} runs a worker or a remote executor, which restricted mode does not allow: trust this workspace to use it.', tool);
}

/**
 * Whether an API request may go out; a refusal message when not. Gated: calling a tool
 * (POST /api/runs) and approving a run (POST /api/runs/:id/approve), when the tool's executor
 * is docker or http. An unknown tool is let through: the backend refuses it anyway.
 */
export async function checkRequest(method: string, path: string, body: unknown, lookups: TrustLookups, t: Translate = format): Promise<string | undefined> {
  if (method !== 'POST' || lookups.isTrusted()) return undefined;
  const clean = path.split('?')[0].replace(/\/+$/, '');
  let tool: string | undefined;
  if (clean === '/api/runs') {
    const b = body as { tool?: unknown } | undefined;
    tool = typeof b?.tool === 'string' ? b.tool : undefined;
  } else {
    const m = /^\/api\/runs\/([^/]+)\/approve$/.exec(clean);
    if (m) tool = await lookups.toolOfRun(decodeURIComponent(m[1]));
  }
  if (tool === undefined) return undefined;
  return executorNeedsTrust(await lookups.executorOf(tool)) ? refusal(tool, t) : undefined;
}
