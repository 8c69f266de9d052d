/**
 * The board's state, without the DOM: lanes, cards in each lane in the backend's order
 * (position, then key), optimistic moves and their rollback, and where keyboard focus goes.
 * Updates are keyed: a change marks only its lanes dirty, so the view redraws only those.
 */
import type { Card, Lane } from '../../contracts/rest';

export function compareCards(a: Card, b: Card): number {
  return a.position - b.position || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** A position strictly between two neighbours' positions (either may be missing). */
export function positionBetween(before: number | undefined, after: number | undefined): number {
  if (before === undefined && after === undefined) return 1;
  if (before === undefined) return (after as number) - 1;
  if (after === undefined) return before + 1;
  if (after > before) return before + (after - before) / 2;
  // Equal neighbours (it happens after imports): place just after the one before.
  return before + 1e-6;
}

export interface MovePlan {
  key: string;
  fromLane: string;
  fromIndex: number;
  toLane: string;
  /** Index in the target lane once the card is taken out of its current place. */
  toIndex: number;
  position: number;
  ifVersion: number;
}

/** What an optimistic move replaced, to put back if the backend refuses it. */
export interface MoveSnapshot {
  before: Card;
}

export type Direction = 'up' | 'down' | 'left' | 'right' | 'first' | 'last';

export class BoardModel {
  private lanesList: Lane[] = [];
  private readonly cards = new Map<string, Card>();
  private readonly laneKeys = new Map<string, Card[]>();
  private readonly dirty = new Set<string>();
  /** Cards whose move is being saved: one save at a time per card (ifVersion must be current). */
  readonly saving = new Set<string>();

  constructor(lanes: Lane[] = [], cards: Card[] = []) {
    this.load(lanes, cards);
  }

  load(lanes: Lane[], cards: Card[]): void {
    this.lanesList = [...lanes].sort((a, b) => a.position - b.position);
    this.cards.clear();
    this.laneKeys.clear();
    for (const l of this.lanesList) this.laneKeys.set(l.id, []);
    for (const c of cards) {
      this.cards.set(c.key, c);
      this.laneOf(c.lane).push(c);
    }
    for (const list of this.laneKeys.values()) list.sort(compareCards);
    for (const l of this.laneKeys.keys()) this.dirty.add(l);
  }

  get lanes(): readonly Lane[] {
    return this.lanesList;
  }

  get size(): number {
    return this.cards.size;
  }

  /** Lanes the backend has cards in but did not list (kept, so no card disappears). */
  private laneOf(id: string): Card[] {
    let list = this.laneKeys.get(id);
    if (!list) {
      list = [];
      this.laneKeys.set(id, list);
      this.lanesList.push({ id, name: id, position: (this.lanesList.at(-1)?.position ?? 0) + 1 });
    }
    return list;
  }

  cardsIn(laneId: string): readonly Card[] {
    return this.laneKeys.get(laneId) ?? [];
  }

  get(key: string): Card | undefined {
    return this.cards.get(key);
  }

  indexOf(key: string): number {
    const c = this.cards.get(key);
    if (!c) return -1;
    return this.findIndex(this.cardsIn(c.lane), c);
  }

  private findIndex(list: readonly Card[], card: Card): number {
    // Binary search by order, then a short scan for the exact card.
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareCards(list[mid], card) < 0) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < list.length && i < lo + 3; i++) if (list[i].key === card.key) return i;
    return list.findIndex((c) => c.key === card.key);
  }

  /** Versions of cards taken off the board, so a late, older change cannot bring one back. */
  private readonly removedAt = new Map<string, number>();

  /** Whether a change from elsewhere is no newer than what this board has seen of the card. */
  isStale(card: Card): boolean {
    return (this.cards.get(card.key)?.version ?? this.removedAt.get(card.key) ?? 0) >= card.version;
  }

  /** Take a card off the board (archived). */
  remove(key: string, version?: number): void {
    const old = this.cards.get(key);
    if (version !== undefined) this.removedAt.set(key, Math.max(version, this.removedAt.get(key) ?? 0));
    if (!old) return;
    const list = this.cardsIn(old.lane) as Card[];
    const i = this.findIndex(list, old);
    if (i >= 0) list.splice(i, 1);
    this.cards.delete(key);
    this.dirty.add(old.lane);
  }

  /** Put in a card as the backend has it now (new, edited or moved); an archived one leaves. */
  upsert(card: Card): void {
    if (card.archived) {
      this.remove(card.key, card.version);
      return;
    }
    this.removedAt.delete(card.key);
    const old = this.cards.get(card.key);
    if (old) {
      const list = this.cardsIn(old.lane) as Card[];
      const i = this.findIndex(list, old);
      if (i >= 0) list.splice(i, 1);
      this.dirty.add(old.lane);
    }
    this.cards.set(card.key, card);
    const list = this.laneOf(card.lane);
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareCards(list[mid], card) < 0) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, card);
    this.dirty.add(card.lane);
  }

  /** Where a card dropped at `toIndex` of `toLane` goes, with the position to save. */
  planMove(key: string, toLane: string, toIndex: number): MovePlan | null {
    const card = this.cards.get(key);
    if (!card || !this.laneKeys.has(toLane)) return null;
    const fromIndex = this.indexOf(key);
    const others = this.cardsIn(toLane).filter((c) => c.key !== key);
    const index = Math.max(0, Math.min(toIndex, others.length));
    if (toLane === card.lane && index === fromIndex) return null; // dropped where it was
    const position = positionBetween(others[index - 1]?.position, others[index]?.position);
    return { key, fromLane: card.lane, fromIndex, toLane, toIndex: index, position, ifVersion: card.version };
  }

  /** Move the card now, before the backend answers; keep what to restore. */
  applyOptimistic(plan: MovePlan): MoveSnapshot {
    const before = this.cards.get(plan.key) as Card;
    this.saving.add(plan.key);
    this.upsert({ ...before, lane: plan.toLane, position: plan.position });
    return { before };
  }

  /** The backend saved the move: its card (new version) replaces the optimistic one. */
  confirm(card: Card): void {
    this.saving.delete(card.key);
    this.upsert(card);
  }

  /**
   * The backend refused the move: the card goes back to where the backend has it (`current`,
   * from a 409's details), or where it was before the move when the backend did not say.
   */
  rollback(snapshot: MoveSnapshot, current?: Card | null): void {
    this.saving.delete(snapshot.before.key);
    this.upsert(current && current.key === snapshot.before.key ? current : snapshot.before);
  }

  /** The lanes changed since the last call (for the view to redraw). */
  takeDirty(): string[] {
    const out = [...this.dirty];
    this.dirty.clear();
    return out;
  }

  /** The card keyboard focus goes to from `key` in a direction (null: nowhere to go). */
  neighbour(key: string, direction: Direction): string | null {
    const card = this.cards.get(key);
    if (!card) return null;
    const list = this.cardsIn(card.lane);
    const i = this.findIndex(list, card);
    switch (direction) {
      case 'up':
        return list[i - 1]?.key ?? null;
      case 'down':
        return list[i + 1]?.key ?? null;
      case 'first':
        return list[0]?.key ?? null;
      case 'last':
        return list.at(-1)?.key ?? null;
      case 'left':
      case 'right': {
        const li = this.lanesList.findIndex((l) => l.id === card.lane);
        const step = direction === 'left' ? -1 : 1;
        for (let j = li + step; j >= 0 && j < this.lanesList.length; j += step) {
          const other = this.cardsIn(this.lanesList[j].id);
          if (other.length > 0) return other[Math.min(i, other.length - 1)].key;
        }
        return null;
      }
    }
  }

  /** The move that Alt+arrow asks for: one place up or down, or to the lane beside. */
  keyboardMove(key: string, direction: 'up' | 'down' | 'left' | 'right'): MovePlan | null {
    const card = this.cards.get(key);
    if (!card) return null;
    const i = this.indexOf(key);
    if (direction === 'up') return i > 0 ? this.planMove(key, card.lane, i - 1) : null;
    if (direction === 'down') return i < this.cardsIn(card.lane).length - 1 ? this.planMove(key, card.lane, i + 1) : null;
    const li = this.lanesList.findIndex((l) => l.id === card.lane);
    const target = this.lanesList[li + (direction === 'left' ? -1 : 1)];
    if (!target) return null;
    return this.planMove(key, target.id, Math.min(i, this.cardsIn(target.id).length));
  }

  laneName(id: string): string {
    return this.lanesList.find((l) => l.id === id)?.name ?? id;
  }
}

/** The card in a 409's details, if it is one (the board then shows the backend's version). */
export function conflictCard(details: unknown): Card | null {
  const c = (details as { card?: unknown } | null | undefined)?.card;
  if (typeof c !== 'object' || c === null) return null;
  const card = c as Card;
  return typeof card.key === 'string' && typeof card.lane === 'string' && typeof card.position === 'number' && typeof card.version === 'number' ? card : null;
}
