import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context';
import { liveConfigReport } from '../../config-report';
import { toolInfo } from '../tool-info';
import { serve } from '../route';

export function systemRoutes(app: FastifyInstance, ctx: ApiContext): void {
  // Liveness for anyone on this host (no token): that the backend answers, and its version.
  // With the token (the security hook checked it), the basic facts too.
  serve(app, 'health', async (req) => {
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

  serve(app, 'validateConfig', async () => {
    const address = app.server.address();
    return liveConfigReport({ config: ctx.config, env: ctx.env, db: ctx.db, port: address && typeof address === 'object' ? address.port : null, editorSecretNames: ctx.secrets?.editorSecretNames() });
  });

  serve(app, 'listTools', async () => ({
    tools: [...ctx.registry.tools.values()].map((t) => toolInfo(t, ctx.executors)),
  }));
}
