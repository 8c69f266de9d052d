import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context';
import { serve } from '../route';
import * as directives from '../../store/directives';
import { ProductOsError } from '../../errors';
import { callerOf } from '../caller';

/**
 * Directives over REST: D1–D3 (the ops tools' defaults), D4 and custom ones (any tool plus a
 * config JSON), each versioned; and the directive snapshot a run used.
 * Their schemas are in contracts/rest.ts and the route map.
 */
export function directiveRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { db } = ctx;

  serve(app, 'listDirectives', async (req) => ({ directives: await directives.listDirectives(db, { tool: req.query.tool }) }));

  serve(app, 'getDirective', async (req) => {
    const d = await directives.getDirective(db, req.params.id);
    if (!d) throw new ProductOsError('not_found', `no directive ${req.params.id}`);
    return { ...d, versions: await directives.directiveVersions(db, d.id) };
  });

  serve(app, 'createDirective', async (req, reply) => {
    if (!ctx.registry.get(req.body.tool)) {
      throw new ProductOsError('invalid_input', `no tool ${req.body.tool} in the registry`, { violations: [{ pointer: '/tool', rule: 'tool', message: `/tool names no tool of the registry: ${req.body.tool}` }] });
    }
    const d = await db.transaction((tx) => directives.createDirective(tx, req.body, callerOf(req), ctx.registry));
    return reply.status(201).send(d);
  });

  serve(app, 'updateDirective', async (req) => db.transaction((tx) => directives.updateDirective(tx, req.params.id, req.body, callerOf(req), ctx.registry)));

  serve(app, 'runDirective', async (req) => {
    const found = await directives.runDirective(db, req.params.id);
    if (!found) throw new ProductOsError('not_found', `no run ${req.params.id}`);
    return { runId: req.params.id, directive: found.directive };
  });
}
