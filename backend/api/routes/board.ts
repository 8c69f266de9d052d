import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context';
import { BrandVersion, Card, CardEvent, CreateCardBody, Lane, PatchCardBody } from '../../../contracts/rest';
import * as cards from '../../store/cards';
import { brandHistory } from '../../store/brand';
import { ProductOsError } from '../../errors';
import { callerOf } from '../caller';

const KeyParams = Type.Object({ key: Type.String({ pattern: '^[A-Z][A-Z0-9]*-[0-9]+$' }) });
type KeyReq = FastifyRequest<{ Params: { key: string } }>;

/** Kanban lanes, cards and card history; brand profile history. */
export function boardRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { db } = ctx;
  app.get('/api/lanes', { schema: { response: { 200: Type.Object({ lanes: Type.Array(Lane) }) } } }, async () => ({ lanes: await cards.listLanes(db) }));

  app.get<{ Querystring: { lane?: string } }>(
    '/api/cards',
    { schema: { querystring: Type.Object({ lane: Type.Optional(Type.String({ maxLength: 100 })) }, { additionalProperties: false }), response: { 200: Type.Object({ cards: Type.Array(Card) }) } } },
    async (req) => ({ cards: await cards.listCards(db, req.query.lane) }),
  );

  app.post<{ Body: CreateCardBody }>('/api/cards', { schema: { body: CreateCardBody, response: { 201: Card } } }, async (req, reply) => {
    const card = await db.transaction((tx) => cards.createCard(tx, req.body, callerOf(req)));
    return reply.status(201).send(card);
  });

  app.get('/api/cards/:key', { schema: { params: KeyParams, response: { 200: Card } } }, async (req: KeyReq) => {
    const card = await cards.getCard(db, req.params.key);
    if (!card) throw new ProductOsError('not_found', `no card ${req.params.key}`);
    return card;
  });

  app.patch<{ Params: { key: string }; Body: PatchCardBody }>(
    '/api/cards/:key',
    { schema: { summary: 'Edit or move a card, only at the given version (409 otherwise)', params: KeyParams, body: PatchCardBody, response: { 200: Card } } },
    async (req) => db.transaction((tx) => cards.patchCard(tx, req.params.key, req.body, callerOf(req))),
  );

  app.get('/api/cards/:key/events', { schema: { params: KeyParams, response: { 200: Type.Object({ events: Type.Array(CardEvent) }) } } }, async (req: KeyReq) => {
    if (!(await cards.getCard(db, req.params.key))) throw new ProductOsError('not_found', `no card ${req.params.key}`);
    return { events: await cards.listCardEvents(db, req.params.key) };
  });

  app.get<{ Params: { profileId: string } }>(
    '/api/brand/:profileId/history',
    { schema: { params: Type.Object({ profileId: Type.String({ minLength: 1, maxLength: 200 }) }), response: { 200: Type.Object({ versions: Type.Array(BrandVersion) }) } } },
    async (req) => ({ versions: await brandHistory(db, req.params.profileId) }),
  );
}
