/**
 * What the extension's parts (commands, tree views, panel hosts) need from the backend, as an
 * interface: the supervisor provides the real one (HTTP + SSE to the bundled or configured
 * backend); tests provide fakes. Requests are named routes of the route map
 * (contracts/routes.ts), typed in and out; no part of the extension writes a path.
 */
import type { BoardChange, LogLine, Run, RunEvent } from '../contracts/rest';
import type { JsonRouteName, RouteArgs, RouteResponse } from '../contracts/routes';

export type { ApiError } from '../contracts/client';

export interface BackendApi {
  /** One call of a route, with the bearer token; rejects with an ApiError on a 4xx/5xx. */
  call<K extends JsonRouteName>(route: K, args: RouteArgs<K>, signal?: AbortSignal): Promise<RouteResponse<K>>;
  /** Live run changes (the runStream route). Returns an unsubscribe function. */
  onRun(listener: (run: Run) => void): () => void;
  /** Live events of one run (the runEvents route), replayed from the start. */
  onRunEvents(runId: string, listener: (event: RunEvent) => void): () => void;
  /** Live log lines (the logStream route), optionally for one run. */
  onLog(listener: (line: LogLine) => void, runId?: string): () => void;
  /**
   * Live card changes (the boardStream route), from every window and agent. `null` after the
   * stream came back from a drop: changes may have been missed, so read the board again.
   */
  onBoardChange(listener: (change: BoardChange | null) => void): () => void;
  /** The MCP endpoint and token, for "Copy MCP Server Config" and MCP registration. */
  mcpEndpoint(): Promise<{ url: string; token: string }>;
}
