import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context';
import { CreateRunBody, DecisionBody, ListRunsQuery, PatchRunBody, Run, RunPage, TERMINAL_STATUSES, type RunEvent } from '../../../contracts/rest';
import { SseStream, lastEventId } from '../sse';
import { CursorError } from '../../store/runs';
import { ProductOsError } from '../../errors';
import { callerOf } from '../caller';

const IdParams = Type.Object({ id: Type.String() });
type IdReq = FastifyRequest<{ Params: { id: string } }>;

/** The trace id of a W3C `traceparent` header, so a run joins the caller's trace. */
function traceIdOf(req: FastifyRequest): string | undefined {
  const h = req.headers.traceparent;
  const m = typeof h === 'string' ? /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(h.trim()) : null;
  return m && !/^0+$/.test(m[1]) ? m[1] : undefined;
}

export function runRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { engine } = ctx;

  app.post<{ Body: CreateRunBody }>(
    '/api/runs',
    { schema: { summary: 'Call a tool: validated, policy-checked, stored and queued', body: CreateRunBody, response: { 200: Run, 201: Run } } },
    async (req, reply) => {
      const { run, created } = await engine.submit({ ...req.body, caller: callerOf(req), traceId: traceIdOf(req) });
      return reply.status(created ? 201 : 200).send(run);
    },
  );

  app.get<{ Querystring: ListRunsQuery }>('/api/runs', { schema: { summary: 'List runs, newest first', querystring: ListRunsQuery, response: { 200: RunPage } } }, async (req) => {
    try {
      return await engine.list(req.query);
    } catch (err) {
      if (err instanceof CursorError) throw new ProductOsError('bad_request', err.message, { violations: [{ pointer: '/cursor', rule: 'cursor', message: err.message }] });
      throw err;
    }
  });

  app.get('/api/runs/:id', { schema: { params: IdParams, response: { 200: Run } } }, async (req: IdReq) => engine.get(req.params.id));

  app.patch<{ Params: { id: string }; Body: PatchRunBody }>(
    '/api/runs/:id',
    { schema: { summary: 'Change labels or priority, only at the given version (409 otherwise)', params: IdParams, body: PatchRunBody, response: { 200: Run } } },
    async (req) => engine.patch(req.params.id, req.body),
  );

  app.post('/api/runs/:id/cancel', { schema: { params: IdParams, response: { 200: Run } } }, async (req: IdReq) => engine.cancel(req.params.id, callerOf(req)));

  for (const decision of ['approve', 'deny'] as const) {
    app.post<{ Params: { id: string }; Body: DecisionBody | undefined }>(
      `/api/runs/:id/${decision}`,
      {
        schema: { params: IdParams, body: DecisionBody, response: { 200: Run } },
        // The body is optional (the reason is): no body means {}.
        preValidation: async (req) => {
          req.body ??= {};
        },
      },
      async (req) => engine[decision](req.params.id, callerOf(req), req.body?.reason, req.body?.ifVersion),
    );
  }

  app.get(
    '/api/runs/:id/events',
    { schema: { summary: 'Server-Sent Events of one run; resumable with Last-Event-ID; ends after the final state', params: IdParams } },
    async (req: IdReq, reply) => {
      const id = req.params.id;
      const atStart = await engine.get(id); // 404 before the stream starts
      let sentUpTo = lastEventId(req);
      const pending: RunEvent[] = [];
      let replaying = true;
      const send = (e: RunEvent) => {
        if (e.id <= sentUpTo) return;
        sentUpTo = e.id;
        stream.send(e.type, e, e.id);
        if (e.type === 'state' && TERMINAL_STATUSES.has((e.data as { to: Run['status'] }).to)) stream.end();
      };
      // Subscribe before reading the store, so nothing falls between replay and live.
      const off = ctx.bus.onRunEvents(id, (e) => (replaying ? pending.push(e) : send(e)));
      const stream = new SseStream(req, reply, off);
      for (const e of await engine.events(id, sentUpTo)) send(e);
      replaying = false;
      for (const e of pending) send(e);
      // Resumed after the final event (EventSource reconnects with it): nothing more will come.
      if (TERMINAL_STATUSES.has(atStart.status)) stream.end();
      if (stream.closed) off();
    },
  );

  app.get('/api/stream', { schema: { summary: 'Server-Sent Events of every run change (for live views)' } }, async (req, reply) => {
    const off = ctx.bus.onRun((run) => stream.send('run', run));
    const stream = new SseStream(req, reply, off);
  });
}
