import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context';
import { TERMINAL_STATUSES, type Run } from '../../../contracts/rest';
import { RunEventFeed } from '../../runs/run-event-feed';
import { serve } from '../route';
import { SseStream, lastEventId } from '../sse';
import { CursorError } from '../../store/runs';
import { ProductOsError } from '../../errors';
import { callerOf } from '../caller';
import { dailyUsage, runUsage } from '../../store/llm-usage';

/** The trace id of a W3C `traceparent` header, so a run joins the caller's trace. */
function traceIdOf(req: FastifyRequest): string | undefined {
  const h = req.headers.traceparent;
  const m = typeof h === 'string' ? /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(h.trim()) : null;
  return m && !/^0+$/.test(m[1]) ? m[1] : undefined;
}

export function runRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { engine } = ctx;

  serve(app, 'createRun', async (req, reply) => {
    const { run, created } = await engine.submit({ ...req.body, caller: callerOf(req), traceId: traceIdOf(req) });
    return reply.status(created ? 201 : 200).send(run);
  });

  serve(app, 'listRuns', async (req) => {
    try {
      return await engine.list(req.query);
    } catch (err) {
      if (err instanceof CursorError) throw new ProductOsError('bad_request', err.message, { violations: [{ pointer: '/cursor', rule: 'cursor', message: err.message }] });
      throw err;
    }
  });

  serve(app, 'getRun', async (req) => engine.get(req.params.id));

  // The one wait of the product: the CLI, the editor and the panels all wait here.
  serve(app, 'waitRun', async (req) => {
    const { timeoutMs = 30_000, until = 'terminal' } = req.query;
    const closed = new AbortController();
    req.raw.once('close', () => closed.abort());
    return engine.waitFor(req.params.id, { until, timeoutMs, signal: closed.signal });
  });

  serve(app, 'patchRun', async (req) => engine.patch(req.params.id, req.body));

  serve(app, 'cancelRun', async (req) => engine.cancel(req.params.id, callerOf(req)));
  serve(app, 'approveRun', async (req) => engine.approve(req.params.id, callerOf(req), req.body?.reason, req.body?.ifVersion));
  serve(app, 'denyRun', async (req) => engine.deny(req.params.id, callerOf(req), req.body?.reason, req.body?.ifVersion));

  serve(app, 'runUsage', async (req) => {
    await engine.get(req.params.id); // 404 for a run that does not exist
    return runUsage(ctx.db, req.params.id);
  });
  serve(app, 'dailyUsage', async (req) => dailyUsage(ctx.db, req.query.days ?? 30));

  serve(app, 'runEvents', async (req, reply) => {
    const id = req.params.id;
    const atStart = await engine.get(id); // 404 before the stream starts
    const feed = new RunEventFeed(ctx.bus, id, lastEventId(req), (e) => {
      stream.send(e.type, e, e.id);
      if (e.type === 'state' && TERMINAL_STATUSES.has((e.data as { to: Run['status'] }).to)) stream.end();
    });
    const stream = new SseStream(req, reply, () => feed.close());
    await feed.start((after) => engine.events(id, after));
    // Resumed after the final event (EventSource reconnects with it): nothing more will come.
    if (TERMINAL_STATUSES.has(atStart.status)) stream.end();
    if (stream.closed) feed.close();
  });

  serve(app, 'runStream', async (req, reply) => {
    const off = ctx.bus.onRun((run) => stream.send('run', run));
    const stream = new SseStream(req, reply, off);
  });
}
