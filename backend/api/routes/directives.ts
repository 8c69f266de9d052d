import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context';
import * as directives from '../../store/directives';
import { ProductOsError } from '../../errors';
import { callerOf } from '../caller';

/**
 * Directives over REST: D1–D3 (the ops tools' defaults), D4 and custom ones (any tool plus a
 * config JSON), each versioned; and the directive snapshot a run used.
 * The schemas are the protocol of these routes (TypeBox: JSON Schema and TypeScript type).
 */

const MAX_INT4 = 2147483647;
const Timestamp = Type.String({ format: 'date-time' });
const Config = Type.Record(Type.String(), Type.Unknown(), { description: 'The directive\'s settings (JSON object); D1–D3\'s tools check theirs against a schema.' });
const DirectiveId = Type.String({ pattern: '^D[1-9][0-9]{0,8}$', description: 'D1, D2, …' });

export const Directive = Type.Object({
  id: Type.String(),
  name: Type.String(),
  tool: Type.String(),
  kind: Type.Union([Type.Literal('default'), Type.Literal('custom')]),
  version: Type.Integer({ minimum: 1 }),
  text: Type.String(),
  config: Config,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Directive = Static<typeof Directive>;

export const DirectiveVersion = Type.Object({
  version: Type.Integer({ minimum: 1 }),
  name: Type.String(),
  text: Type.String(),
  config: Config,
  changedBy: Type.String(),
  createdAt: Timestamp,
});
export type DirectiveVersion = Static<typeof DirectiveVersion>;

export const DirectiveWithVersions = Type.Composite([Directive, Type.Object({ versions: Type.Array(DirectiveVersion) })]);

export const DirectiveSnapshot = Type.Object({ id: Type.String(), name: Type.String(), version: Type.Integer(), text: Type.String(), config: Config });

const Name = Type.String({ minLength: 1, maxLength: 200 });
const Text = Type.String({ minLength: 1, maxLength: 20_000 });

export const CreateDirectiveBody = Type.Object(
  {
    name: Name,
    tool: Type.String({ minLength: 1, maxLength: 200, description: 'A tool of the registry.' }),
    text: Text,
    config: Type.Optional(Config),
  },
  { additionalProperties: false },
);
export type CreateDirectiveBody = Static<typeof CreateDirectiveBody>;

export const UpdateDirectiveBody = Type.Object(
  {
    ifVersion: Type.Integer({ minimum: 1, maximum: MAX_INT4, description: 'The version the edit was made from; a stale one answers 409.' }),
    name: Type.Optional(Name),
    text: Type.Optional(Text),
    config: Type.Optional(Config),
  },
  { additionalProperties: false, minProperties: 2 },
);
export type UpdateDirectiveBody = Static<typeof UpdateDirectiveBody>;

const IdParams = Type.Object({ id: DirectiveId });
const ListQuery = Type.Object({ tool: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false });
type IdReq = FastifyRequest<{ Params: { id: string } }>;

export function directiveRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { db } = ctx;

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/directives',
    { schema: { summary: 'Directives (current versions), D1 first; optionally of one tool', querystring: ListQuery, response: { 200: Type.Object({ directives: Type.Array(Directive) }) } } },
    async (req) => ({ directives: await directives.listDirectives(db, { tool: req.query.tool }) }),
  );

  app.get('/api/directives/:id', { schema: { summary: 'A directive with every version, oldest first', params: IdParams, response: { 200: DirectiveWithVersions } } }, async (req: IdReq) => {
    const d = await directives.getDirective(db, req.params.id);
    if (!d) throw new ProductOsError('not_found', `no directive ${req.params.id}`);
    return { ...d, versions: await directives.directiveVersions(db, d.id) };
  });

  app.post<{ Body: CreateDirectiveBody }>(
    '/api/directives',
    { schema: { summary: 'Create a custom directive: a tool of the registry plus a config JSON (numbered D5, D6, …)', body: CreateDirectiveBody, response: { 201: Directive } } },
    async (req, reply) => {
      if (!ctx.registry.get(req.body.tool)) {
        throw new ProductOsError('invalid_input', `no tool ${req.body.tool} in the registry`, { violations: [{ pointer: '/tool', rule: 'tool', message: `/tool names no tool of the registry: ${req.body.tool}` }] });
      }
      const d = await db.transaction((tx) => directives.createDirective(tx, req.body, callerOf(req)));
      return reply.status(201).send(d);
    },
  );

  app.put<{ Params: { id: string }; Body: UpdateDirectiveBody }>(
    '/api/directives/:id',
    { schema: { summary: 'A new version of a directive, only at the given version (409 otherwise); its tool never changes', params: IdParams, body: UpdateDirectiveBody, response: { 200: Directive } } },
    async (req) => db.transaction((tx) => directives.updateDirective(tx, req.params.id, req.body, callerOf(req))),
  );

  app.get(
    '/api/runs/:id/directive',
    {
      schema: {
        summary: 'The directive snapshot a run used (null when its tool uses none)',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: Type.Object({ runId: Type.String(), directive: Type.Union([DirectiveSnapshot, Type.Null()]) }) },
      },
    },
    async (req: FastifyRequest<{ Params: { id: string } }>) => {
      const found = await directives.runDirective(db, req.params.id);
      if (!found) throw new ProductOsError('not_found', `no run ${req.params.id}`);
      return { runId: req.params.id, directive: found.directive };
    },
  );
}
