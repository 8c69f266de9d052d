import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createBackend, type Backend } from '../../backend/main';
import type { Env } from '../../backend/config';
import type { McpOptions } from '../../backend/mcp/tool-server';
import type { LocalHandler } from '../../backend/executors/local';
import type { LlmProvider } from '../../backend/llm/provider';
import { callRoute } from '../../contracts/client';
import type { Run } from '../../contracts/rest';

/** A fresh folder under the system's temp folder, removed when the test process exits. */
export function tempDir(prefix = 'product-os-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

// A whole run made about 200 data folders (40 MB each with its PostgreSQL cluster) and left them.
const made: string[] = [];
process.once('exit', () => {
  for (const dir of made) {
    try {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      // Still in use by a server a test left running: its files go with the machine's temp folder.
    }
  }
});

export interface Response<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface TestBackend {
  backend: Backend;
  url: string;
  token: string;
  dataDir: string;
  /** JSON request with the bearer token (unless `headers.authorization` overrides it). */
  api<T = any>(method: string, p: string, body?: unknown, headers?: Record<string, string>): Promise<Response<T>>;
  /** Calls a tool over REST and waits (on the wait route) for its run to end. */
  tool(name: string, input: Record<string, unknown>, opts?: { caller?: string }): Promise<Run>;
  close(): Promise<void>;
}

/** An in-process backend on a fresh data folder (or `env.DATABASE_URL`), listening on a free port. */
export async function startBackend(opts: { env?: Env; mcp?: McpOptions; dataDir?: string; handlers?: ReadonlyMap<string, LocalHandler>; llm?: LlmProvider } = {}): Promise<TestBackend> {
  const dataDir = opts.dataDir ?? tempDir();
  const logs: string[] = [];
  const backend = await createBackend({
    env: { PRODUCT_OS_TOKEN: 'test-token-0123456789abcdef', ...opts.env },
    overrides: { dataDir, port: 0 },
    mcp: opts.mcp,
    handlers: opts.handlers,
    llm: opts.llm,
    stderr: (l) => logs.push(l),
  });
  const url = await backend.listen();
  const token = backend.token;
  return {
    backend,
    url,
    token,
    dataDir,
    api: (method, p, body, headers = {}) => request(url, token, method, p, body, headers),
    tool: async (name, input, o = {}) => {
      const conn = { url, token };
      const run = await callRoute(conn, 'createRun', { body: { tool: name, input } }, { caller: o.caller });
      return callRoute(conn, 'waitRun', { params: { id: run.id }, query: { timeoutMs: 30_000 } });
    },
    close: () => backend.close(),
  };
}

export async function request<T = any>(url: string, token: string, method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response<T>> {
  const res = await fetch(new URL(p, url), {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

/** Polls until `fn` returns a truthy value, bounded in time. */
export async function until<T>(fn: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 10000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
