import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, McpError, ErrorCode, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ApiContext } from '../api/context';
import { ProductOsError, toErrorBody } from '../errors';
import type { Run, RunEvent, StateEventData, ProgressEventData } from '../api/protocol';

export interface McpOptions {
  /** tools/list page size; the cursor is the offset, opaque to clients. */
  pageSize?: number;
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

  server.setRequestHandler(CallToolRequestSchema, async (req, extra): Promise<CallToolResult> => {
    const name = req.params.name;
    if (!ctx.registry.get(name)) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    const client = server.getClientVersion()?.name;
    let run: Run;
    try {
      ({ run } = await ctx.engine.submit({
        tool: name,
        input: req.params.arguments ?? {},
        caller: client ? `mcp:${client.replace(/[^A-Za-z0-9._-]/g, '').slice(0, 60)}` : 'mcp',
      }));
    } catch (err) {
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
    // The MCP client's notifications/cancelled aborts extra.signal: that cancels the run.
    const onCancel = () => void ctx.engine.cancel(run.id, 'mcp').catch(() => undefined);
    extra.signal.addEventListener('abort', onCancel, { once: true });
    try {
      if (token !== undefined && run.status === 'awaiting_approval') {
        step += 1;
        await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: step, message: `run ${run.id} awaits approval in Product OS (Runs panel)` } });
      }
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
  });
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

function decodeCursor(cursor: string | undefined, total: number): number {
  if (cursor === undefined) return 0;
  const n = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Number.isInteger(n) || n < 0 || n > total) throw new McpError(ErrorCode.InvalidParams, 'Invalid cursor');
  return n;
}
