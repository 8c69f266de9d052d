import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context';
import { ListLogsQuery, LogLine, type LogLine as LogLineT } from '../../../contracts/rest';
import { listLogs, levelAtLeast } from '../../store/logs';
import { SseStream, lastEventId } from '../sse';

const StreamQuery = Type.Object(
  { runId: Type.Optional(Type.String({ format: 'uuid' })), level: ListLogsQuery.properties.level, lastEventId: Type.Optional(Type.Integer({ minimum: 0 })) },
  { additionalProperties: false },
);

export function logRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: ListLogsQuery }>(
    '/api/logs',
    { schema: { summary: 'Stored log lines, oldest first after afterId', querystring: ListLogsQuery, response: { 200: Type.Object({ lines: Type.Array(LogLine) }) } } },
    async (req) => ({ lines: await listLogs(ctx.db, req.query) }),
  );

  app.get(
    '/api/logs/stream',
    { schema: { summary: 'Server-Sent Events of log lines; resumable with Last-Event-ID', querystring: StreamQuery } },
    async (req: FastifyRequest<{ Querystring: { runId?: string; level?: LogLineT['level'] } }>, reply) => {
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
    },
  );
}
