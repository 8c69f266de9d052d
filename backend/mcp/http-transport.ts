import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { ApiContext } from '../api/context';
import { createMcpServer, type McpOptions } from './tool-server';

const IDLE_SESSION_MS = 30 * 60 * 1000;

interface Session {
  transport: StreamableHTTPServerTransport;
  lastSeen: number;
}

/**
 * /mcp over Streamable HTTP with sessions, so that notifications/cancelled reaches the
 * request it cancels. Auth, Origin and Host are checked by the API's security hook first.
 */
export function registerMcpRoute(app: FastifyInstance, ctx: ApiContext, opts: McpOptions = {}): void {
  const sessions = new Map<string, Session>();
  const sweep = setInterval(() => {
    const cutoff = Date.now() - IDLE_SESSION_MS;
    for (const [id, s] of sessions) if (s.lastSeen < cutoff) void s.transport.close();
  }, 60_000);
  sweep.unref();
  app.addHook('onClose', async () => {
    clearInterval(sweep);
    await Promise.all([...sessions.values()].map((s) => s.transport.close()));
  });

  const handle = async (req: FastifyRequest, reply: FastifyReply) => {
    const sessionId = req.headers['mcp-session-id'];
    const existing = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (existing) {
      existing.lastSeen = Date.now();
      reply.hijack();
      await existing.transport.handleRequest(req.raw, reply.raw, req.body);
      return;
    }
    if (sessionId !== undefined) {
      return reply.status(404).send({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
    }
    if (req.method !== 'POST' || !isInitializeRequest(req.body)) {
      return reply.status(400).send({ jsonrpc: '2.0', error: { code: -32000, message: 'Bad Request: no valid session; send initialize first' }, id: null });
    }
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, { transport, lastSeen: Date.now() }),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await createMcpServer(ctx, opts).connect(transport);
    reply.hijack();
    await transport.handleRequest(req.raw, reply.raw, req.body);
  };

  app.route({ method: ['GET', 'POST', 'DELETE'], url: '/mcp', schema: { summary: 'MCP over Streamable HTTP', hide: true } as object, handler: handle });
}
