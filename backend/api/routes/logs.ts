import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context';
import type { LogLine as LogLineT } from '../../../contracts/rest';
import { serve } from '../route';
import { listLogs, levelAtLeast } from '../../store/logs';
import { SseStream, lastEventId } from '../sse';

export function logRoutes(app: FastifyInstance, ctx: ApiContext): void {
  serve(app, 'listLogs', async (req) => ({ lines: await listLogs(ctx.db, req.query) }));

  serve(app, 'logStream', async (req, reply) => {
    const { runId, level } = req.query;
    const wanted = (l: LogLineT) => (!runId || l.runId === runId) && levelAtLeast(l.level, level);
    let sentUpTo = lastEventId(req);
    const pending: LogLineT[] = [];
    let replaying = true;
    const send = (l: LogLineT) => {
      if (l.id <= sentUpTo || !wanted(l)) return;
      sentUpTo = l.id;
      stream.send('log', l, l.id);
    };
    const off = ctx.bus.onLog((l) => (replaying ? pending.push(l) : send(l)));
    const stream = new SseStream(req, reply, off);
    // Replay everything missed, page by page, then go live.
    for (let page = sentUpTo > 0 ? await listLogs(ctx.db, { afterId: sentUpTo, runId, level, limit: 1000 }) : []; page.length > 0 && !stream.closed; ) {
      for (const l of page) send(l);
      page = page.length === 1000 ? await listLogs(ctx.db, { afterId: page[page.length - 1].id, runId, level, limit: 1000 }) : [];
    }
    replaying = false;
    for (const l of pending) send(l);
  });
}
