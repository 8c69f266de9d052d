import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, ErrorCode, type CallToolResult, type Tool, type ServerRequest, type ServerNotification, type CallToolRequest } from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ApiContext } from '../api/context';
import { ProductOsError, toErrorBody, safeMessage } from '../errors';
import type { Run, RunEvent, StateEventData, ProgressEventData } from '../../contracts/rest';

const MAX_CALLS_IN_FLIGHT = 32;

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export interface McpOptions {
  /** tools/list page size; the cursor is the offset, opaque to clients. */
  pageSize?: number;
  /** /mcp closes a session after this long without requests or open streams (10 min). */
  idleSessionMs?: number;
  /** Sessions /mcp holds at once (64); see http-transport.ts. */
  maxSessions?: number;
  /** tools/call requests one session may have waiting at once (32). */
  maxCallsInFlight?: number;
}

/**
 * The registry as an MCP server. The SDK's high-level `registerTool` takes only Zod, so this
 * uses the low-level Server: registry JSON Schemas go out unchanged, and every call takes the
 * same path as REST (engine.submit: Ajv validation, policy, store, audit).
 */
export function createMcpServer(ctx: ApiContext, opts: McpOptions = {}): Server {
  const pageSize = opts.pageSize ?? 50;
  const server = new Server({ name: 'product-os', title: 'Product OS', version: ctx.version }, { capabilities: { tools: { listChanged: false } } });
  const tools: Tool[] = [...ctx.registry.tools.values()].map((t) => {
    const availability = ctx.executors.availability(t);
    return {
      name: t.name,
      title: t.spec.title,
      description: availability.available ? t.spec.description : `${t.spec.description} (Not available yet: ${availability.reason}.)`,
      inputSchema: t.spec.inputSchema as Tool['inputSchema'],
      outputSchema: t.spec.outputSchema as Tool['outputSchema'],
      annotations: {
        readOnlyHint: t.spec.idempotent && t.spec.risk === 'low',
        destructiveHint: t.spec.risk === 'high',
        idempotentHint: t.spec.idempotent,
      },
    };
  });

  server.setRequestHandler(ListToolsRequestSchema, async (req) => {
    const start = decodeCursor(req.params?.cursor, tools.length);
    const page = tools.slice(start, start + pageSize);
    const next = start + pageSize < tools.length ? Buffer.from(String(start + pageSize)).toString('base64url') : undefined;
    return { tools: page, ...(next ? { nextCursor: next } : {}) };
  });

  // Calls of this session waiting at once (each holds a stream, a waiter and often a run that
  // awaits approval): bounded, so one client cannot pile up waits without end.
  const maxCalls = opts.maxCallsInFlight ?? MAX_CALLS_IN_FLIGHT;
  let inFlight = 0;

  server.setRequestHandler(CallToolRequestSchema, async (req, extra): Promise<CallToolResult> => {
    if (inFlight >= maxCalls) {
      return { isError: true, content: [{ type: 'text', text: `unavailable: ${maxCalls} calls of this session are already waiting; wait for one to finish (or cancel one) before making another` }] };
    }
    inFlight += 1;
    try {
      return await callTool(req, extra);
    } finally {
      inFlight -= 1;
    }
  });

  const callTool = async (req: CallToolRequest, extra: Extra): Promise<CallToolResult> => {
    const name = req.params.name;
    const client = server.getClientVersion()?.name;
    let run: Run;
    try {
      ({ run } = await ctx.engine.submit({
        tool: name,
        input: req.params.arguments ?? {},
        caller: client ? `mcp:${client.replace(/[^A-Za-z0-9._-]/g, '').slice(0, 60)}` : 'mcp',
      }));
    } catch (err) {
      // An unknown tool is a protocol error (the spec's -32602), not a result the model can
      // fix; submit has audited the refusal like any other.
      if (err instanceof ProductOsError && err.code === 'unknown_tool') throw rpcError(ErrorCode.InvalidParams, safeMessage(`Unknown tool: ${name}`));
      if (!(err instanceof ProductOsError)) {
        // Not one of ours (the store, a library): its text goes to the log, not to the client.
        await ctx.logger.error('mcp', `tools/call ${name.slice(0, 200)} failed: ${(err as Error)?.message ?? String(err)}`);
        throw rpcError(ErrorCode.InternalError, 'internal error; see the backend log');
      }
      return errorResult(err);
    }
    const token = req.params._meta?.progressToken;
    let step = 0;
    const off =
      token === undefined
        ? () => undefined
        : ctx.bus.onRunEvents(run.id, (e) => {
            const message = progressMessage(e);
            if (message === null) return;
            step += 1;
            void extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: step, message } }).catch(() => undefined);
          });
    // The client's notifications/cancelled aborts extra.signal: that cancels the run. The SDK
    // also aborts every handler when the connection closes (session DELETE, idle sweep,
    // backend shutdown, stdin end), and then drops the transport; a disconnection is not a
    // cancellation (Streamable HTTP spec), so a run waiting for a person stays for them.
    const onCancel = () =>
      queueMicrotask(() => {
        if (server.transport) void ctx.engine.cancel(run.id, 'mcp').catch(() => undefined);
      });
    if (extra.signal.aborted) onCancel(); // cancelled while submit was storing it
    else extra.signal.addEventListener('abort', onCancel, { once: true });
    try {
      if (token !== undefined && run.status === 'awaiting_approval') {
        step += 1;
        await extra
          .sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: step, message: `run ${run.id} awaits approval in Product OS (Runs panel)` } })
          .catch(() => undefined);
      }
      // waitForTerminal would wait on an already-aborted signal for ever.
      if (extra.signal.aborted) throw extra.signal.reason ?? new Error('cancelled');
      const done = await ctx.engine.waitForTerminal(run.id, extra.signal);
      if (done.status === 'succeeded') {
        return { content: [{ type: 'text', text: JSON.stringify(done.output) }], structuredContent: done.output as Record<string, unknown> };
      }
      const error = done.error ?? { code: done.status, message: `run ended ${done.status}` };
      return { isError: true, content: [{ type: 'text', text: `${error.code}: ${error.message} (run ${done.id})` }] };
    } finally {
      off();
      extra.signal.removeEventListener('abort', onCancel);
    }
  };
  return server;
}

/** Invalid input, unavailable tools and the like: a tool result the model can read and fix. */
function errorResult(err: unknown): CallToolResult {
  if (!(err instanceof ProductOsError)) throw err;
  const body = toErrorBody(err);
  return { isError: true, content: [{ type: 'text', text: `${body.code}: ${body.message}` }] };
}

function progressMessage(e: RunEvent): string | null {
  if (e.type === 'state') {
    const d = e.data as StateEventData;
    return d.reason ? `${d.to}: ${d.reason}` : d.to;
  }
  if (e.type === 'progress') {
    const d = e.data as ProgressEventData;
    return d.message ?? `${d.progress}${d.total ? `/${d.total}` : ''}`;
  }
  if (e.type === 'log') return String((e.data as { message?: unknown }).message ?? '');
  return null;
}

/** Only a cursor this server issued: the base64url of an offset inside the list. */
function decodeCursor(cursor: string | undefined, total: number): number {
  if (cursor === undefined) return 0;
  const text = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const n = /^[1-9][0-9]{0,8}$/.test(text) ? Number(text) : NaN;
  if (!(n < total)) throw rpcError(ErrorCode.InvalidParams, 'Invalid cursor');
  return n;
}

/**
 * A JSON-RPC error with its message as given. (The SDK's McpError prefixes "MCP error
 * <code>:" to its message, and the client prefixes it again: "MCP error -32602: MCP error
 * -32602: …". The SDK's Protocol sends any thrown error's `code` and `message`.)
 */
function rpcError(code: ErrorCode, message: string): Error {
  return Object.assign(new Error(message), { code });
}
