import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context';
import { ConfigReport, Health, ToolInfo } from '../../../contracts/rest';
import { liveConfigReport } from '../../config-report';
import { toolInfo } from '../tool-info';

const Liveness = Type.Object({ status: Type.Literal('ok'), version: Type.String() }, { additionalProperties: false });

export function systemRoutes(app: FastifyInstance, ctx: ApiContext): void {
  // Liveness for anyone on this host (no token): that the backend answers, and its version.
  // With the token (the security hook checked it), the basic facts too.
  app.get('/health', { schema: { summary: 'Liveness; with the token, basic facts', security: [], response: { 200: Type.Union([Health, Liveness]) } } }, async (req) => {
    if (req.headers.authorization === undefined) return { status: 'ok' as const, version: ctx.version };
    return {
      status: 'ok' as const,
      version: ctx.version,
      instanceId: ctx.instanceId,
      store: ctx.db.kind,
      role: ctx.config.role,
      activeRuns: ctx.engine.activeCount(),
      uptimeSeconds: (Date.now() - ctx.startedAt) / 1000,
    };
  });

  app.get('/config/validate', { schema: { summary: 'Every setting: ok, missing or invalid, and why', response: { 200: ConfigReport } } }, async () => {
    const address = app.server.address();
    return liveConfigReport({ config: ctx.config, env: ctx.env, db: ctx.db, port: address && typeof address === 'object' ? address.port : null });
  });

  app.get('/api/tools', { schema: { summary: 'The tool registry', response: { 200: Type.Object({ tools: Type.Array(ToolInfo) }) } } }, async () => ({
    tools: [...ctx.registry.tools.values()].map((t) => toolInfo(t, ctx.executors)),
  }));
}
