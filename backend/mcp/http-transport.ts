import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StreamableHTTPServerTransport, type EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { ApiContext } from '../api/context';
import { createMcpServer, type McpOptions } from './tool-server';
import { malformedRequests } from './request-check';
import { coalesceResponse } from './coalesced-response';

/** A session with no request and no open stream for this long is closed. */
const IDLE_SESSION_MS = 10 * 60 * 1000;
/** Sessions held at once. A new one past it replaces the longest-idle session without an open stream, else is refused. */
const MAX_SESSIONS = 64;
/** Events kept per session for clients that reconnect with Last-Event-ID. */
const REPLAY_EVENTS = 1000;
const REPLAY_BYTES = 8 * 1024 * 1024;
/** The SSE `retry:` we suggest: how soon a client reconnects after a stream drops. */
const RETRY_MS = 1000;

interface Session {
  transport: StreamableHTTPServerTransport;
  lastSeen: number;
  /** Responses still open (a call's SSE stream, the GET stream): the client is there. */
  open: number;
}

/**
 * /mcp over Streamable HTTP with sessions, so that notifications/cancelled reaches the
 * request it cancels. Auth, Origin and Host are checked by the API's security hook first.
 */
export function registerMcpRoute(app: FastifyInstance, ctx: ApiContext, opts: McpOptions = {}): void {
  const sessions = new Map<string, Session>();
  const idleMs = opts.idleSessionMs ?? IDLE_SESSION_MS;
  const maxSessions = opts.maxSessions ?? MAX_SESSIONS;
  /** Initializes under way: counted against the cap before their session exists. */
  let starting = 0;
  /** Room for one more session: evicts the longest-idle session with nothing open, if it must. */
  const makeRoom = (): boolean => {
    if (sessions.size + starting < maxSessions) return true;
    let victim: Session | undefined;
    for (const s of sessions.values()) if (s.open === 0 && (!victim || s.lastSeen < victim.lastSeen)) victim = s;
    if (!victim) return false;
    // Gone from the count now; the transport's close (async) finishes the rest.
    if (victim.transport.sessionId) sessions.delete(victim.transport.sessionId);
    void victim.transport.close();
    return true;
  };
  // Idle means no request for idleMs and no response open: a call that waits an hour for
  // approval on an open stream is not idle.
  const sweep = setInterval(() => {
    const cutoff = Date.now() - idleMs;
    for (const s of sessions.values()) if (s.open === 0 && s.lastSeen < cutoff) void s.transport.close();
  }, Math.min(60_000, Math.max(10, Math.floor(idleMs / 2))));
  sweep.unref();
  app.addHook('onClose', async () => {
    clearInterval(sweep);
    await Promise.all([...sessions.values()].map((s) => s.transport.close()));
  });

  const handle = async (req: FastifyRequest, reply: FastifyReply) => {
    const sessionId = req.headers['mcp-session-id'];
    const existing = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    // Malformed params are answered here, as -32602 naming the field (see request-check.ts).
    const malformed = req.method === 'POST' && (existing || sessionId === undefined) ? malformedRequests(req.body) : [];
    if (malformed.length > 0) {
      if (existing) existing.lastSeen = Date.now();
      return reply.status(200).send(Array.isArray(req.body) ? malformed : malformed[0]);
    }
    if (existing) {
      existing.lastSeen = Date.now();
      existing.open += 1;
      reply.raw.once('close', () => {
        existing.open -= 1;
        existing.lastSeen = Date.now();
      });
      reply.hijack();
      if (req.method === 'POST') coalesceResponse(reply.raw);
      await existing.transport.handleRequest(req.raw, reply.raw, req.body);
      return;
    }
    if (sessionId !== undefined) {
      return reply.status(404).send({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
    }
    if (req.method !== 'POST' || !isInitializeRequest(req.body)) {
      return reply.status(400).send({ jsonrpc: '2.0', error: { code: -32000, message: 'Bad Request: no valid session; send initialize first' }, id: null });
    }
    if (!makeRoom()) {
      return reply.status(503).header('Retry-After', String(Math.ceil(idleMs / 1000))).send({
        jsonrpc: '2.0',
        error: { code: -32000, message: `too many MCP sessions: ${maxSessions} are open and in use; close one (DELETE /mcp with its Mcp-Session-Id) or try again later` },
        id: null,
      });
    }
    starting += 1;
    let counted = true;
    const started = () => {
      if (counted) starting -= 1;
      counted = false;
    };
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      // Resumable streams: a call that waits long (for approval) survives a dropped
      // connection; the client resumes with Last-Event-ID and gets what it missed.
      eventStore: new SessionEventStore(),
      retryInterval: RETRY_MS,
      onsessioninitialized: (id) => {
        started();
        sessions.set(id, { transport, lastSeen: Date.now(), open: 0 });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    try {
      await createMcpServer(ctx, opts).connect(transport);
      reply.hijack();
      await transport.handleRequest(req.raw, reply.raw, req.body);
    } finally {
      started(); // an initialize the transport refused made no session
    }
  };

  app.route({ method: ['GET', 'POST', 'DELETE'], url: '/mcp', schema: { summary: 'MCP over Streamable HTTP', hide: true } as object, handler: handle });
}

interface StoredEvent {
  seq: number;
  streamId: string;
  message: JSONRPCMessage;
  bytes: number;
}

/**
 * The recent events of one session's SSE streams, in memory and bounded (by count and by
 * size): enough to resume after a dropped connection, not a durable log. Event ids are a
 * per-session sequence number; an id that was never issued or has been evicted is refused
 * (400), and the client starts over.
 */
export class SessionEventStore implements EventStore {
  private readonly events: StoredEvent[] = [];
  private readonly bySeq = new Map<number, StoredEvent>();
  private seq = 0;
  private bytes = 0;

  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    const event: StoredEvent = { seq: ++this.seq, streamId, message, bytes: JSON.stringify(message).length };
    this.events.push(event);
    this.bySeq.set(event.seq, event);
    this.bytes += event.bytes;
    while (this.events.length > REPLAY_EVENTS || (this.bytes > REPLAY_BYTES && this.events.length > 1)) {
      const old = this.events.shift()!;
      this.bySeq.delete(old.seq);
      this.bytes -= old.bytes;
    }
    return String(event.seq);
  }

  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    return this.find(eventId)?.streamId;
  }

  async replayEventsAfter(lastEventId: string, { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> }): Promise<string> {
    const last = this.find(lastEventId);
    if (!last) throw new Error(`unknown event id ${lastEventId}`);
    for (const e of this.events) {
      // Priming events (an empty message) only carry an id: nothing to replay.
      if (e.seq > last.seq && e.streamId === last.streamId && Object.keys(e.message).length > 0) await send(String(e.seq), e.message);
    }
    return last.streamId;
  }

  private find(eventId: string): StoredEvent | undefined {
    return /^[1-9][0-9]{0,15}$/.test(eventId) ? this.bySeq.get(Number(eventId)) : undefined;
  }
}
