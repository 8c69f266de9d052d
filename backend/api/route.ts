/**
 * Registers a handler for a route of the route map (contracts/routes.ts): the method, path and
 * schemas come from the map, so the server cannot drift from the client or the OpenAPI document.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ROUTES, type JsonRouteName, type RouteBody, type RouteName, type RouteParams, type RouteQuery, type RouteResponse, type RouteSpec } from '../../contracts/routes';

export type RouteRequest<K extends RouteName> = FastifyRequest<{ Params: RouteParams<K>; Querystring: RouteQuery<K>; Body: RouteBody<K> }>;
type Answer<K extends RouteName> = K extends JsonRouteName ? RouteResponse<K> | FastifyReply : void | FastifyReply;

export function serve<K extends RouteName>(app: FastifyInstance, name: K, handler: (req: RouteRequest<K>, reply: FastifyReply) => Promise<Answer<K>>): void {
  const spec: RouteSpec = ROUTES[name];
  const response = spec.response ? Object.fromEntries((spec.statuses ?? [200]).map((status) => [status, spec.response])) : undefined;
  app.route({
    method: spec.method,
    url: spec.path,
    // Only the parts the route has: Fastify warns about a part that is named but undefined.
    // A public route says so in the API document too (no bearer token needed).
    schema: Object.fromEntries(
      Object.entries({ summary: spec.summary, operationId: name, params: spec.params, querystring: spec.query, body: spec.body, response, security: spec.public ? [] : undefined }).filter(([, v]) => v !== undefined),
    ),
    // A route whose body is optional (a decision's reason) takes no body as {}.
    preValidation: spec.optionalBody
      ? async (req: FastifyRequest) => {
          req.body ??= {};
        }
      : undefined,
    handler: handler as (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
    config: { public: spec.public === true },
  });
}

declare module 'fastify' {
  /** What the security hook reads of a route: whether it answers without the token. */
  interface FastifyContextConfig {
    public?: boolean;
  }
}

export function isPublicRoute(req: FastifyRequest): boolean {
  return req.routeOptions.config?.public === true;
}
