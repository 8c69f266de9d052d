/**
 * Restricted mode: in a workspace the user has not trusted, nothing that starts a worker
 * container or calls a remote executor (deploys, rollbacks, Cloud Run, log tails) runs from the
 * editor. Local tools (board, brand, ping) still work. Pure: the caller says whether the
 * workspace is trusted and how to look up a tool's executor or a run's tool.
 */
import { format, type Translate } from './i18n';
import type { JsonRouteName, RouteArgs } from '../contracts/routes';

/** Executors that reach outside the extension's own process. */
export function executorNeedsTrust(executor: string | undefined): boolean {
  return executor === 'docker' || executor === 'http';
}

export interface TrustLookups {
  isTrusted(): boolean;
  /** The executor kind of a tool (from the tool list), undefined if unknown. */
  executorOf(tool: string): Promise<string | undefined>;
  /** The tool of a run. */
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
 * Whether a call may go out; a refusal message when not. Gated by route: calling a tool
 * (createRun) and approving a run (approveRun), when the tool's executor is docker or http. An
 * unknown tool is let through: the backend refuses it anyway.
 */
export async function checkCall(route: JsonRouteName, args: unknown, lookups: TrustLookups, t: Translate = format): Promise<string | undefined> {
  if (lookups.isTrusted()) return undefined;
  let tool: string | undefined;
  if (route === 'createRun') tool = (args as RouteArgs<'createRun'>).body.tool;
  else if (route === 'approveRun') tool = await lookups.toolOfRun((args as RouteArgs<'approveRun'>).params.id);
  if (tool === undefined) return undefined;
  return executorNeedsTrust(await lookups.executorOf(tool)) ? refusal(tool, t) : undefined;
}
