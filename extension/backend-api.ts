/**
 * What the extension's parts (commands, tree views, panel hosts) need from the backend, as an
 * interface: the supervisor provides the real one (HTTP + SSE to the bundled or configured
 * backend); tests provide fakes. Paths and bodies are the REST API of backend/api (see its
 * OpenAPI at /api/openapi.json); types come from contracts/rest.ts.
 */
import type { LogLine, Run, RunEvent } from '../contracts/rest';

export interface ApiError {
  status: number;
  code: string;
  message: string;
  details?: unknown;
}

export interface BackendApi {
  /** JSON request with the bearer token; rejects with an ApiError on a 4xx/5xx. */
  request<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, signal?: AbortSignal): Promise<T>;
  /** Live run changes (GET /api/stream). Returns an unsubscribe function. */
  onRun(listener: (run: Run) => void): () => void;
  /** Live events of one run (GET /api/runs/:id/events), replayed from the start. */
  onRunEvents(runId: string, listener: (event: RunEvent) => void): () => void;
  /** Live log lines (GET /api/logs/stream), optionally for one run. */
  onLog(listener: (line: LogLine) => void, runId?: string): () => void;
  /** The MCP endpoint and token, for "Copy MCP Server Config" and MCP registration. */
  mcpEndpoint(): Promise<{ url: string; token: string }>;
}
