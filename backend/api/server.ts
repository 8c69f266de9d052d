import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import cors from '@fastify/cors';
import { lazySerializers, validatorCompiler } from './schema-compilers';
import type { ApiContext } from './context';
import { securityHook } from './security';
import { corsOptions } from './cors';
import { errorHandler, frameworkErrors, clientErrorHandler } from './error-handler';
import { registerJsonParser } from './json-body';
import { systemRoutes } from './routes/system';
import { runRoutes } from './routes/runs';
import { logRoutes } from './routes/logs';
import { boardRoutes } from './routes/board';
import { directiveRoutes } from './routes/directives';
import { eventRoutes } from './routes/events';
import { registerMcpRoute } from '../mcp/http-transport';
import type { McpOptions } from '../mcp/tool-server';

export async function buildApi(ctx: ApiContext, token: string, mcp: McpOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: ctx.config.maxBodyBytes,
    logger: false,
    return503OnClosing: true,
    forceCloseConnections: true,
    // The framework's own refusals (bad URL encoding, an over-long id, an unreadable request)
    // in the documented error shape too.
    frameworkErrors: frameworkErrors(ctx.logger),
    clientErrorHandler,
    // A request whose body never arrives in full (a Content-Length larger than what is sent)
    // holds a socket: answered 408 after a minute. Responses (SSE, MCP streams) are not limited.
    requestTimeout: 60_000,
    schemaController: lazySerializers,
  });
  app.setValidatorCompiler(validatorCompiler());
  app.setErrorHandler(errorHandler(ctx.logger));
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` } }));
  registerJsonParser(app);
  await app.register(swagger, {
    openapi: {
      info: { title: 'Product OS backend', version: ctx.version, description: 'Tool registry, durable runs, logs, cards and brand profiles. Every request needs `Authorization: Bearer <token>`.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  // Before the security hook: an allowed Origin's preflight is answered without the token, and
  // its refusals (401, 403) still carry the CORS headers a browser needs to read them. With no
  // allowed origin (the default) there is nothing for it to do, and the security hook refuses
  // every Origin: left out, which spares every request its hook (≈4 % of an MCP call's CPU).
  if (ctx.config.allowedOrigins.length > 0) await app.register(cors, corsOptions(ctx.config.allowedOrigins));
  app.addHook('onRequest', securityHook({ token, allowedOrigins: ctx.config.allowedOrigins, allowedHosts: ctx.config.allowedHosts }));

  systemRoutes(app, ctx);
  runRoutes(app, ctx);
  logRoutes(app, ctx);
  boardRoutes(app, ctx);
  directiveRoutes(app, ctx);
  eventRoutes(app, ctx);
  registerMcpRoute(app, ctx, mcp);
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.ready();
  return app;
}
