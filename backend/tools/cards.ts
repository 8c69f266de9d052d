/**
 * The board's writes, as tools: create, move, edit, archive and restore a card. Each runs in the
 * engine like every other write (validated by the registry, audited, idempotent by key), and
 * its change and the run's end commit together. The board stream announces each change.
 */
import type { LocalHandler } from '../executors/local';
import type { CardPriority } from '../../contracts/rest';
import * as cards from '../store/cards';
import type { ExecutionContext } from '../executors/executor';

type Target = { card_key: string; if_version: number };

const actor = (ctx: ExecutionContext): cards.CardActor => ({ caller: ctx.run.caller, runId: ctx.run.id });

export const createCard: LocalHandler = async (input: { title: string; description?: string; lane?: string; labels?: string[]; priority?: CardPriority }, ctx) =>
  ctx.commit(async (tx) => ({ card: await cards.createCard(tx, input, actor(ctx)) }));

export const moveCard: LocalHandler = async (input: Target & { lane: string; position?: number }, ctx) =>
  ctx.commit(async (tx) => ({ card: await cards.changeCard(tx, input.card_key, input.if_version, { lane: input.lane, position: input.position }, actor(ctx)) }));

export const updateCard: LocalHandler = async (input: Target & { title?: string; description?: string; labels?: string[]; priority?: CardPriority }, ctx) => {
  const { card_key, if_version, ...change } = input;
  return ctx.commit(async (tx) => ({ card: await cards.changeCard(tx, card_key, if_version, change, actor(ctx)) }));
};

export const archiveCard: LocalHandler = async (input: Target, ctx) =>
  ctx.commit(async (tx) => ({ card: await cards.changeCard(tx, input.card_key, input.if_version, { archived: true }, actor(ctx)) }));

export const restoreCard: LocalHandler = async (input: Target, ctx) =>
  ctx.commit(async (tx) => ({ card: await cards.changeCard(tx, input.card_key, input.if_version, { archived: false }, actor(ctx)) }));
