import { randomUUID } from 'node:crypto';
import type { Queryable } from './db';
import type { Card, CardEvent, Lane, CreateCardBody, PatchCardBody } from '../../contracts/rest';
import { ProductOsError } from '../errors';

interface CardRow {
  id: string;
  key: string;
  title: string;
  description: string;
  lane: string;
  position: number;
  labels: string[];
  version: number;
  created_at: Date;
  updated_at: Date;
}
const toCard = (r: CardRow): Card => ({
  id: r.id,
  key: r.key,
  title: r.title,
  description: r.description,
  lane: r.lane,
  position: Number(r.position),
  labels: r.labels,
  version: r.version,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

export const CARD_PREFIX = 'PO';

export async function listLanes(q: Queryable): Promise<Lane[]> {
  return q.query<Lane>('SELECT id, name, position FROM lanes ORDER BY position');
}

export async function listCards(q: Queryable, lane?: string): Promise<Card[]> {
  const rows = lane
    ? await q.query<CardRow>('SELECT * FROM cards WHERE lane = $1 ORDER BY position, key', [lane])
    : await q.query<CardRow>('SELECT c.* FROM cards c JOIN lanes l ON l.id = c.lane ORDER BY l.position, c.position, c.key');
  return rows.map(toCard);
}

export async function getCard(q: Queryable, key: string): Promise<Card | null> {
  const rows = await q.query<CardRow>('SELECT * FROM cards WHERE key = $1', [key]);
  return rows[0] ? toCard(rows[0]) : null;
}

async function requireLane(q: Queryable, lane: string): Promise<void> {
  const rows = await q.query('SELECT 1 FROM lanes WHERE id = $1', [lane]);
  if (rows.length === 0) throw new ProductOsError('invalid_input', `unknown lane "${lane}"`, { violations: [{ pointer: '/lane', rule: 'lane', message: `unknown lane "${lane}"` }] });
}

/** New cards go to the end of their lane; the key comes from a sequence, so it is never reused. */
export async function createCard(q: Queryable, body: CreateCardBody, actor: string): Promise<Card> {
  const lane = body.lane ?? 'backlog';
  await requireLane(q, lane);
  const rows = await q.query<CardRow>(
    `INSERT INTO cards (id, key, title, description, lane, position, labels)
     VALUES ($1, $2 || '-' || nextval('card_numbers'), $3, $4, $5,
             (SELECT coalesce(max(position), 0) + 1 FROM cards WHERE lane = $5), $6::jsonb)
     RETURNING *`,
    [randomUUID(), CARD_PREFIX, body.title, body.description ?? '', lane, JSON.stringify(body.labels ?? [])],
  );
  const card = toCard(rows[0]);
  await addCardEvent(q, card.id, 'created', actor, { lane, title: card.title });
  return card;
}

/** Optimistic: applies only at `ifVersion`; a move records from/to lanes in the card's history. */
export async function patchCard(q: Queryable, key: string, body: PatchCardBody, actor: string): Promise<Card> {
  const current = await getCard(q, key);
  if (!current) throw new ProductOsError('not_found', `no card ${key}`);
  if (body.lane !== undefined) await requireLane(q, body.lane);
  const rows = await q.query<CardRow>(
    `UPDATE cards SET title = coalesce($3, title), description = coalesce($4, description), lane = coalesce($5, lane),
       position = coalesce($6, position), labels = coalesce($7::jsonb, labels), version = version + 1, updated_at = now()
     WHERE key = $1 AND version = $2 RETURNING *`,
    [key, body.ifVersion, body.title ?? null, body.description ?? null, body.lane ?? null, body.position ?? null, body.labels ? JSON.stringify(body.labels) : null],
  );
  if (rows.length === 0) {
    const now = await getCard(q, key);
    throw new ProductOsError('conflict', `card ${key} is at version ${now?.version}, not ${body.ifVersion}`, { currentVersion: now?.version, card: now });
  }
  const card = toCard(rows[0]);
  if (body.lane !== undefined && body.lane !== current.lane) {
    await addCardEvent(q, card.id, 'moved', actor, { from: current.lane, to: body.lane, position: card.position });
  }
  const edited = (['title', 'description', 'labels'] as const).filter((f) => body[f] !== undefined);
  if (edited.length > 0) await addCardEvent(q, card.id, 'edited', actor, { fields: edited });
  return card;
}

export async function addCardEvent(q: Queryable, cardId: string, type: string, actor: string, data: unknown, runId: string | null = null): Promise<void> {
  await q.query('INSERT INTO card_events (card_id, type, actor, data, run_id) VALUES ($1, $2, $3, $4::jsonb, $5)', [cardId, type, actor, JSON.stringify(data), runId]);
}

export async function listCardEvents(q: Queryable, key: string): Promise<CardEvent[]> {
  const rows = await q.query<{ id: number; key: string; type: string; actor: string; data: unknown; run_id: string | null; created_at: Date }>(
    'SELECT e.*, c.key FROM card_events e JOIN cards c ON c.id = e.card_id WHERE c.key = $1 ORDER BY e.id',
    [key],
  );
  return rows.map((r) => ({ id: Number(r.id), cardKey: r.key, type: r.type, actor: r.actor, data: r.data, runId: r.run_id, createdAt: new Date(r.created_at).toISOString() }));
}
