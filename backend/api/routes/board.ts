import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context';
import type { BoardChange, Card } from '../../../contracts/rest';
import * as cards from '../../store/cards';
import { LOCAL_BRAND_STORE } from '../../store/brand-store';
import { ProductOsError } from '../../errors';
import { serve } from '../route';
import { SseStream } from '../sse';

/**
 * Reads of the board and the brand profiles, and the board's change stream. Writes are tools
 * (cards.*, brand.*): they go through the engine like every other write.
 */
export function boardRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { db } = ctx;
  const brands = ctx.brands ?? LOCAL_BRAND_STORE;
  serve(app, 'listLanes', async () => ({ lanes: await cards.listLanes(db) }));

  serve(app, 'listCards', async (req) => ({ cards: await cards.listCards(db, { lane: req.query.lane, archived: req.query.archived }) }));

  serve(app, 'getCard', async (req) => {
    const card = await cards.getCard(db, req.params.key);
    if (!card) throw new ProductOsError('not_found', `no card ${req.params.key}`);
    return card;
  });

  serve(app, 'cardHistory', async (req) => {
    if (!(await cards.getCard(db, req.params.key))) throw new ProductOsError('not_found', `no card ${req.params.key}`);
    const [events, runs] = await Promise.all([cards.listCardEvents(db, req.params.key), cards.listCardRuns(db, req.params.key)]);
    return { events, runs };
  });

  // A card changes only by a run of a cards.* tool: its successful end carries the card.
  serve(app, 'boardStream', async (req, reply) => {
    const off = ctx.bus.onRun((run) => {
      const card = run.status === 'succeeded' && run.tool.startsWith('cards.') ? (run.output as { card?: Card } | undefined)?.card : undefined;
      if (card) stream.send('card', { card, runId: run.id, tool: run.tool } satisfies BoardChange);
    });
    const stream = new SseStream(req, reply, off);
  });

  serve(app, 'getBrand', async (req) => {
    const row = await brands.get(db, req.params.profileId);
    if (!row) throw new ProductOsError('not_found', `no brand profile "${req.params.profileId}"`);
    return { profileId: row.profileId, version: row.version, brand: row.brand, updatedAt: row.updatedAt };
  });

  serve(app, 'brandHistory', async (req) => ({ versions: await brands.history(db, req.params.profileId) }));
}
