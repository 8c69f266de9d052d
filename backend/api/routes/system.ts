import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context';
import { ConfigReport, Health, ToolInfo } from '../../../contracts/rest';
import { validateConfig } from '../../config';
import { toolInfo } from '../tool-info';

export function systemRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/health', { schema: { summary: 'Liveness and basic facts', response: { 200: Health } } }, async () => ({
    status: 'ok' as const,
    version: ctx.version,
    instanceId: ctx.instanceId,
    store: ctx.db.kind,
    role: ctx.config.role,
    activeRuns: ctx.engine.activeCount(),
    uptimeSeconds: (Date.now() - ctx.startedAt) / 1000,
  }));

  app.get('/config/validate', { schema: { summary: 'Every setting: ok, missing or invalid, and why', response: { 200: ConfigReport } } }, async () => {
    const settings = validateConfig(ctx.env);
    return { ok: settings.every((s) => s.status !== 'invalid'), settings };
  });

  app.get('/api/tools', { schema: { summary: 'The tool registry', response: { 200: Type.Object({ tools: Type.Array(ToolInfo) }) } } }, async () => ({
    tools: [...ctx.registry.tools.values()].map((t) => toolInfo(t, ctx.executors)),
  }));
}
