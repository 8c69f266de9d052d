import { randomUUID } from 'node:crypto';
import type { Queryable } from './db';
import { cardCorrelationId, type Card, type CardEvent, type CardPriority, type Lane, type Run } from '../../contracts/rest';
import { ProductOsError } from '../errors';
import { publicRun, toRun, type RunRow } from './runs';

interface CardRow {
  id: string;
  key: string;
  title: string;
  description: string;
  lane: string;
  position: number;
  labels: string[];
  priority: CardPriority;
  archived: boolean;
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
  priority: r.priority,
  archived: r.archived,
  version: r.version,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

export const CARD_PREFIX = 'PO';

/** Who wrote a card, and through which run: every card write is a run of a cards.* tool. */
export interface CardActor {
  caller: string;
  runId: string | null;
}

export async function listLanes(q: Queryable): Promise<Lane[]> {
  return q.query<Lane>('SELECT id, name, position FROM lanes ORDER BY position');
}

export async function listCards(q: Queryable, opts: { lane?: string; archived?: boolean } = {}): Promise<Card[]> {
  const rows = await q.query<CardRow>(
    `SELECT c.* FROM cards c JOIN lanes l ON l.id = c.lane
     WHERE c.archived = $1 AND ($2::text IS NULL OR c.lane = $2)
     ORDER BY l.position, c.position, c.key`,
    [opts.archived ?? false, opts.lane ?? null],
  );
  return rows.map(toCard);
}

export async function getCard(q: Queryable, key: string): Promise<Card | null> {
  const rows = await q.query<CardRow>('SELECT * FROM cards WHERE key = $1', [key]);
  return rows[0] ? toCard(rows[0]) : null;
}

async function requireLane(q: Queryable, lane: string, pointer: string): Promise<void> {
  const rows = await q.query('SELECT 1 FROM lanes WHERE id = $1', [lane]);
  if (rows.length === 0) throw new ProductOsError('invalid_input', `unknown lane "${lane}"`, { violations: [{ pointer, rule: 'lane', message: `${pointer} names no lane: "${lane}"` }] });
}

export interface NewCard {
  title: string;
  description?: string;
  lane?: string;
  labels?: string[];
  priority?: CardPriority;
}

/** New cards go to the end of their lane; the key comes from a sequence, so it is never reused. */
export async function createCard(q: Queryable, card: NewCard, by: CardActor): Promise<Card> {
  const lane = card.lane ?? 'backlog';
  await requireLane(q, lane, '/lane');
  const rows = await q.query<CardRow>(
    `INSERT INTO cards (id, key, title, description, lane, position, labels, priority)
     VALUES ($1, $2 || '-' || nextval('card_numbers'), $3, $4, $5,
             (SELECT coalesce(max(position), 0) + 1 FROM cards WHERE lane = $5), $6::jsonb, $7)
     RETURNING *`,
    [randomUUID(), CARD_PREFIX, card.title, card.description ?? '', lane, JSON.stringify(card.labels ?? []), card.priority ?? 'none'],
  );
  const created = toCard(rows[0]);
  await addCardEvent(q, created.id, 'created', by, { lane, title: created.title });
  return created;
}

/** What one write may change; absent fields stay as they are. */
export interface CardChange {
  title?: string;
  description?: string;
  lane?: string;
  /** Where in the lane; a move without one goes to the end of the new lane. */
  position?: number;
  labels?: string[];
  priority?: CardPriority;
  archived?: boolean;
}

/**
 * Optimistic: applies only at `ifVersion` (409 with the card as it is otherwise). Each kind of
 * change is one event in the card's history: moved (from/to lanes), edited (field names),
 * archived, restored.
 */
export async function changeCard(q: Queryable, key: string, ifVersion: number, change: CardChange, by: CardActor): Promise<Card> {
  const current = await getCard(q, key);
  if (!current) throw new ProductOsError('not_found', `no card ${key}`);
  if (current.version !== ifVersion) throw conflict(current, ifVersion);
  if (change.lane !== undefined) await requireLane(q, change.lane, '/lane');
  const moving = change.lane !== undefined && change.lane !== current.lane;
  const edited = (['title', 'description', 'labels', 'priority'] as const).filter((f) => change[f] !== undefined && JSON.stringify(change[f]) !== JSON.stringify(current[f]));
  const archiving = change.archived !== undefined && change.archived !== current.archived;
  const reordered = change.position !== undefined && change.position !== current.position;
  // A write that would change nothing is refused, so the version and the history stay true.
  if (!moving && edited.length === 0 && !archiving && !reordered) {
    throw new ProductOsError('invalid_state', `card ${key} is already like that${change.archived !== undefined ? (current.archived ? ' (archived)' : ' (on the board)') : ''}: nothing to change`, { card: current });
  }
  const rows = await q.query<CardRow>(
    `UPDATE cards SET title = coalesce($3, title), description = coalesce($4, description), lane = coalesce($5, lane),
       position = coalesce($6, CASE WHEN $8 THEN (SELECT coalesce(max(position), 0) + 1 FROM cards WHERE lane = $5) ELSE position END),
       labels = coalesce($7::jsonb, labels), priority = coalesce($9, priority), archived = coalesce($10, archived),
       version = version + 1, updated_at = now()
     WHERE key = $1 AND version = $2 RETURNING *`,
    [
      key,
      ifVersion,
      change.title ?? null,
      change.description ?? null,
      change.lane ?? null,
      change.position ?? null,
      change.labels ? JSON.stringify(change.labels) : null,
      moving,
      change.priority ?? null,
      change.archived ?? null,
    ],
  );
  if (rows.length === 0) {
    const now = await getCard(q, key);
    throw conflict(now ?? current, ifVersion);
  }
  const card = toCard(rows[0]);
  if (moving) await addCardEvent(q, card.id, 'moved', by, { from: current.lane, to: card.lane, position: card.position });
  if (edited.length > 0) await addCardEvent(q, card.id, 'edited', by, { fields: edited });
  if (archiving) await addCardEvent(q, card.id, change.archived ? 'archived' : 'restored', by, {});
  return card;
}

function conflict(card: Card, ifVersion: number): ProductOsError {
  return new ProductOsError('conflict', `card ${card.key} is at version ${card.version}, not ${ifVersion}`, { currentVersion: card.version, card });
}

export async function addCardEvent(q: Queryable, cardId: string, type: string, by: CardActor, data: unknown): Promise<void> {
  await q.query('INSERT INTO card_events (card_id, type, actor, data, run_id) VALUES ($1, $2, $3, $4::jsonb, $5)', [cardId, type, by.caller, JSON.stringify(data), by.runId]);
}

export async function listCardEvents(q: Queryable, key: string): Promise<CardEvent[]> {
  const rows = await q.query<{ id: number; key: string; type: string; actor: string; data: unknown; run_id: string | null; created_at: Date }>(
    'SELECT e.*, c.key FROM card_events e JOIN cards c ON c.id = e.card_id WHERE c.key = $1 ORDER BY e.id',
    [key],
  );
  return rows.map((r) => ({ id: Number(r.id), cardKey: r.key, type: r.type, actor: r.actor, data: r.data, runId: r.run_id, createdAt: new Date(r.created_at).toISOString() }));
}

/** The runs about a card, newest first: its writes, agent runs on it, and runs started from it. */
export async function listCardRuns(q: Queryable, key: string, limit = 50): Promise<Run[]> {
  // Three indexed lookups (correlation, the card_key of cards.* runs, the card's events), not one
  // OR over the whole runs table: every board change is a run, so the table grows with use.
  const rows = await q.query<RunRow>(
    `SELECT * FROM runs WHERE id IN (
       SELECT id FROM runs WHERE correlation_id = $2
       UNION SELECT id FROM runs WHERE tool LIKE 'cards.%' AND input->>'card_key' = $1
       UNION SELECT e.run_id FROM card_events e JOIN cards c ON c.id = e.card_id WHERE c.key = $1 AND e.run_id IS NOT NULL)
     ORDER BY created_at DESC LIMIT $3`,
    [key, cardCorrelationId(key), limit],
  );
  return rows.map((r) => publicRun(toRun(r)));
}
