/**
 * The board's DOM: one column per lane, each a windowed list (only the cards in view, plus a
 * few either side, exist as elements; they are keyed by card and reused), HTML drag and drop
 * with a drop indicator, and keyboard operation. With 2,000 cards the board holds about a
 * hundred card elements whatever the lane sizes.
 */
import type { Card } from '../../contracts/rest';
import { h, replace } from '../common/dom';
import type { BoardModel, Direction } from './board-model';

export const CARD_HEIGHT = 84;
export const CARD_GAP = 6;
export const ROW = CARD_HEIGHT + CARD_GAP;
const OVERSCAN = 4;
const DRAG_TYPE = 'application/x-product-os-card';

export interface BoardViewEvents {
  /** A card was dropped (or moved with the keyboard) at `toIndex` of `toLane`. */
  move(key: string, toLane: string, toIndex: number, via: 'drag' | 'keyboard'): void;
  open(key: string): void;
  focusChanged(key: string): void;
  scrolled(laneId: string, scrollTop: number): void;
  /** Quick add: a new card titled `title` at the end of `laneId`; resolves true once saved. */
  create(laneId: string, title: string): Promise<boolean>;
}

/** The slot (0..count) that a pointer at `y` pixels from the list's top falls in. */
export function slotAt(y: number, count: number): number {
  return Math.max(0, Math.min(count, Math.floor((y + ROW / 2) / ROW)));
}

/** The rows to draw for a scroll offset and viewport height. */
export function windowRange(scrollTop: number, viewport: number, count: number, overscan = OVERSCAN): [number, number] {
  const start = Math.max(0, Math.floor(scrollTop / ROW) - overscan);
  const end = Math.min(count, Math.ceil((scrollTop + viewport) / ROW) + overscan);
  return [start, Math.max(start, end)];
}

class LaneView {
  readonly root: HTMLElement;
  readonly list: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly indicator: HTMLElement;
  private readonly count: HTMLElement;
  private readonly rendered = new Map<string, HTMLElement>();
  private scheduled = false;
  private viewport = 0;
  private indicatorSlot = -1;

  constructor(
    readonly laneId: string,
    name: string,
    private readonly board: BoardView,
  ) {
    this.count = h('span', { class: 'chip' }, '0');
    this.spacer = h('div', { class: 'lane-spacer' });
    this.indicator = h('div', { class: 'drop-indicator hidden' });
    this.list = h(
      'div',
      { class: 'lane-list', attrs: { role: 'list', 'aria-label': name, tabindex: -1 }, dataset: { lane: laneId } },
      this.spacer,
      this.indicator,
    );
    this.addForm = this.quickAddForm(name);
    const addButton = h(
      'button',
      { class: 'icon-button', attrs: { type: 'button', 'aria-label': `Add a card to ${name}`, title: `Add a card to ${name}`, 'data-action': 'quick-add' }, on: { click: () => this.showQuickAdd() } },
      h('span', { class: 'codicon codicon-add', attrs: { 'aria-hidden': 'true' } }),
    );
    this.root = h(
      'section',
      { class: 'lane', dataset: { lane: laneId }, attrs: { 'aria-label': `${name} lane` } },
      h('header', { class: 'lane-header' }, h('span', null, name), h('span', { class: 'spacer' }), this.count, addButton),
      this.addForm,
      this.list,
    );
    this.list.addEventListener('scroll', () => {
      this.schedule();
      this.board.events.scrolled(this.laneId, this.list.scrollTop);
    });
    this.list.addEventListener('dragover', (e) => this.dragOver(e));
    this.list.addEventListener('dragleave', (e) => {
      if (!this.list.contains(e.relatedTarget as Node | null)) this.hideIndicator();
    });
    this.list.addEventListener('drop', (e) => this.drop(e));
    this.list.addEventListener('keydown', (e) => {
      if (e.target === this.list) this.board.keyOnLane(this.laneId, e);
    });
  }

  private get cards(): readonly Card[] {
    return this.board.model.cardsIn(this.laneId);
  }

  private readonly addForm: HTMLElement;

  /** A one-line title box: Enter adds the card (and keeps the box for the next), Escape closes. */
  private quickAddForm(name: string): HTMLElement {
    const field = h('vscode-textfield', { attrs: { placeholder: 'Card title, then Enter', 'aria-label': `New card title in ${name}`, maxlength: 300 } }) as unknown as HTMLElement & { value: string };
    const form = h('div', { class: 'quick-add hidden', dataset: { lane: this.laneId } }, field);
    field.addEventListener('keydown', async (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        this.hideQuickAdd();
      } else if (e.key === 'Enter') {
        e.preventDefault();
        const title = field.value.trim();
        if (!title) return;
        field.setAttribute('disabled', '');
        const saved = await this.board.events.create(this.laneId, title);
        field.removeAttribute('disabled');
        if (saved) field.value = '';
        field.focus();
      }
    });
    return form;
  }

  showQuickAdd(): void {
    this.addForm.classList.remove('hidden');
    (this.addForm.firstElementChild as HTMLElement).focus();
  }

  private hideQuickAdd(): void {
    this.addForm.classList.add('hidden');
    this.list.focus();
  }

  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.render();
    });
  }

  measure(): void {
    this.viewport = this.list.clientHeight;
  }

  render(): void {
    const cards = this.cards;
    this.count.textContent = String(cards.length);
    this.list.setAttribute('aria-label', `${this.board.model.laneName(this.laneId)}, ${cards.length} card${cards.length === 1 ? '' : 's'}`);
    this.spacer.style.height = `${cards.length * ROW + CARD_GAP}px`;
    if (this.viewport === 0) this.measure();
    const [start, end] = windowRange(this.list.scrollTop, this.viewport || 600, cards.length);
    const keep = new Set<string>();
    const focusKey = this.board.focusKey;
    for (let i = start; i < end; i++) keep.add(cards[i].key);
    // The focused card stays in the DOM while scrolled away, so focus is not lost.
    const focusIndex = focusKey && !keep.has(focusKey) ? cards.findIndex((c) => c.key === focusKey) : -1;
    for (const [key, el] of this.rendered) {
      if (!keep.has(key) && !(key === focusKey && focusIndex >= 0)) {
        el.remove();
        this.rendered.delete(key);
      }
    }
    const place = (i: number): void => {
      const card = cards[i];
      let el = this.rendered.get(card.key);
      if (!el) {
        el = this.board.createCard(card);
        this.rendered.set(card.key, el);
        this.list.appendChild(el);
      } else if (el.dataset.version !== `${card.version}:${card.lane}:${card.position}` || el.dataset.saving !== String(this.board.model.saving.has(card.key))) {
        this.board.fillCard(el, card);
      }
      el.style.transform = `translateY(${i * ROW + CARD_GAP}px)`;
      el.setAttribute('aria-posinset', String(i + 1));
      el.setAttribute('aria-setsize', String(cards.length));
      el.tabIndex = card.key === this.board.tabStopKey() ? 0 : -1;
    };
    for (let i = start; i < end; i++) place(i);
    if (focusIndex >= 0) place(focusIndex);
    this.list.tabIndex = cards.length === 0 ? 0 : -1;
  }

  element(key: string): HTMLElement | undefined {
    return this.rendered.get(key);
  }

  /** Scroll so the card at `index` is in view, and draw now. */
  reveal(index: number): void {
    const top = index * ROW;
    if (top < this.list.scrollTop) this.list.scrollTop = top;
    else if (top + ROW > this.list.scrollTop + (this.viewport || this.list.clientHeight)) this.list.scrollTop = top + ROW - (this.viewport || this.list.clientHeight) + CARD_GAP;
    this.render();
  }

  private slotFor(e: DragEvent): number {
    const rect = this.list.getBoundingClientRect();
    return slotAt(e.clientY - rect.top + this.list.scrollTop - CARD_GAP, this.cards.length);
  }

  private dragOver(e: DragEvent): void {
    if (!this.board.dragKey) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'move';
    const rect = this.list.getBoundingClientRect();
    // Scroll the lane when dragging near its top or bottom edge.
    if (e.clientY < rect.top + 24) this.list.scrollTop -= ROW / 3;
    else if (e.clientY > rect.bottom - 24) this.list.scrollTop += ROW / 3;
    const slot = this.slotFor(e);
    if (slot !== this.indicatorSlot) {
      this.indicatorSlot = slot;
      this.indicator.style.transform = `translateY(${slot * ROW + CARD_GAP / 2 - 1}px)`;
      this.indicator.classList.remove('hidden');
      this.list.classList.add('drop-target');
      this.board.laneEntered(this);
    }
  }

  hideIndicator(): void {
    this.indicatorSlot = -1;
    this.indicator.classList.add('hidden');
    this.list.classList.remove('drop-target');
  }

  private drop(e: DragEvent): void {
    const key = this.board.dragKey ?? e.dataTransfer?.getData(DRAG_TYPE);
    if (!key) return;
    e.preventDefault();
    let slot = this.slotFor(e);
    this.hideIndicator();
    const card = this.board.model.get(key);
    // The slot counts the dragged card itself when it is in this lane above the drop point.
    if (card && card.lane === this.laneId) {
      const from = this.board.model.indexOf(key);
      if (from >= 0 && from < slot) slot -= 1;
    }
    this.board.endDrag();
    this.board.events.move(key, this.laneId, slot, 'drag');
  }
}

export class BoardView {
  readonly root: HTMLElement;
  private readonly laneViews = new Map<string, LaneView>();
  private readonly live: HTMLElement;
  dragKey: string | null = null;
  focusKey: string | null = null;
  selectedKey: string | null = null;
  private activeDropLane: LaneView | null = null;

  constructor(
    readonly model: BoardModel,
    readonly events: BoardViewEvents,
  ) {
    this.live = h('div', { class: 'sr-only', attrs: { 'aria-live': 'assertive', role: 'status' } });
    this.root = h('div', { class: 'board', attrs: { role: 'group', 'aria-label': 'Kanban board' } });
    window.addEventListener('resize', () => {
      for (const v of this.laneViews.values()) {
        v.measure();
        v.schedule();
      }
    });
  }

  get liveRegion(): HTMLElement {
    return this.live;
  }

  /** Build the lane columns (after a load) and draw them, restoring scroll offsets. */
  mount(scroll: Record<string, number>): void {
    this.laneViews.clear();
    replace(this.root);
    for (const lane of this.model.lanes) {
      const v = new LaneView(lane.id, lane.name, this);
      this.laneViews.set(lane.id, v);
      this.root.appendChild(v.root);
    }
    this.model.takeDirty();
    for (const v of this.laneViews.values()) {
      v.measure();
      if (scroll[v.laneId]) v.list.scrollTop = scroll[v.laneId];
      v.render();
    }
  }

  /** Redraw the lanes the model marked dirty. */
  update(): void {
    const dirty = this.model.takeDirty();
    if (dirty.some((id) => !this.laneViews.has(id))) {
      const scroll: Record<string, number> = {};
      for (const v of this.laneViews.values()) scroll[v.laneId] = v.list.scrollTop;
      this.mount(scroll);
      return;
    }
    for (const id of dirty) this.laneViews.get(id)?.render();
  }

  tabStopKey(): string | null {
    if (this.focusKey && this.model.get(this.focusKey)) return this.focusKey;
    for (const l of this.model.lanes) {
      const first = this.model.cardsIn(l.id)[0];
      if (first) return first.key;
    }
    return null;
  }

  createCard(card: Card): HTMLElement {
    const el = h('div', {
      class: 'card',
      attrs: { role: 'listitem', draggable: 'true', tabindex: -1 },
      dataset: { key: card.key },
    });
    el.addEventListener('dragstart', (e) => this.startDrag(e, card.key, el));
    el.addEventListener('dragend', () => this.endDrag());
    el.addEventListener('click', () => {
      this.setFocus(card.key, false);
      this.events.open(el.dataset.key as string);
    });
    el.addEventListener('keydown', (e) => this.keyOnCard(el.dataset.key as string, e));
    el.addEventListener('focus', () => {
      const key = el.dataset.key as string;
      if (this.focusKey !== key) {
        this.focusKey = key;
        this.events.focusChanged(key);
      }
    });
    this.fillCard(el, card);
    return el;
  }

  fillCard(el: HTMLElement, card: Card): void {
    const saving = this.model.saving.has(card.key);
    el.dataset.key = card.key;
    el.dataset.version = `${card.version}:${card.lane}:${card.position}`;
    el.dataset.saving = String(saving);
    el.classList.toggle('saving', saving);
    el.classList.toggle('selected', this.selectedKey === card.key);
    el.setAttribute('aria-label', `${card.key}: ${card.title}${saving ? ' (saving)' : ''}`);
    replace(
      el,
      h(
        'div',
        { class: 'card-top' },
        h('span', { class: 'card-key' }, card.key),
        card.priority !== 'none' ? h('span', { class: `priority priority-${card.priority}`, attrs: { title: `Priority: ${card.priority}` } }, card.priority) : null,
        saving ? h('span', { class: 'codicon codicon-loading codicon-modifier-spin', attrs: { 'aria-hidden': 'true' } }) : null,
      ),
      h('div', { class: 'card-title', attrs: { title: card.title } }, card.title),
      h('div', { class: 'card-labels' }, card.labels.slice(0, 3).map((l) => h('span', { class: 'chip' }, l))),
    );
  }

  setSelected(key: string | null): void {
    const old = this.selectedKey;
    this.selectedKey = key;
    for (const k of [old, key]) {
      if (!k) continue;
      const card = this.model.get(k);
      const el = card ? this.laneViews.get(card.lane)?.element(k) : undefined;
      el?.classList.toggle('selected', k === key);
    }
  }

  private startDrag(e: DragEvent, key: string, el: HTMLElement): void {
    const current = el.dataset.key ?? key;
    if (this.model.saving.has(current)) {
      e.preventDefault();
      this.announce(`${current} is still being saved`);
      return;
    }
    this.dragKey = current;
    e.dataTransfer?.setData(DRAG_TYPE, current);
    e.dataTransfer?.setData('text/plain', current);
    if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
    el.classList.add('dragging');
  }

  endDrag(): void {
    if (this.dragKey) {
      const card = this.model.get(this.dragKey);
      if (card) this.laneViews.get(card.lane)?.element(this.dragKey)?.classList.remove('dragging');
    }
    this.dragKey = null;
    this.activeDropLane?.hideIndicator();
    this.activeDropLane = null;
  }

  laneEntered(lane: LaneView): void {
    if (this.activeDropLane && this.activeDropLane !== lane) this.activeDropLane.hideIndicator();
    this.activeDropLane = lane;
  }

  /** Move keyboard focus to a card, scrolling its lane to it. */
  setFocus(key: string, focus = true): void {
    const card = this.model.get(key);
    if (!card) return;
    const previous = this.focusKey;
    this.focusKey = key;
    const lane = this.laneViews.get(card.lane);
    if (!lane) return;
    lane.reveal(this.model.indexOf(key));
    if (previous && previous !== key) {
      const p = this.model.get(previous);
      if (p) this.laneViews.get(p.lane)?.render();
    }
    const el = lane.element(key);
    if (el) {
      el.tabIndex = 0;
      if (focus) el.focus({ preventScroll: true });
    }
    this.events.focusChanged(key);
  }

  announce(text: string): void {
    this.live.textContent = text;
  }

  private keyOnCard(key: string, e: KeyboardEvent): void {
    const arrows: Record<string, 'up' | 'down' | 'left' | 'right'> = { ArrowUp: 'up', ArrowDown: 'down', ArrowLeft: 'left', ArrowRight: 'right' };
    const dir = arrows[e.key];
    if (dir && (e.altKey || e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      if (this.model.saving.has(key)) {
        this.announce(`${key} is still being saved`);
        return;
      }
      const plan = this.model.keyboardMove(key, dir);
      if (plan) this.events.move(key, plan.toLane, plan.toIndex, 'keyboard');
      return;
    }
    let direction: Direction | null = dir ?? null;
    if (e.key === 'Home') direction = 'first';
    if (e.key === 'End') direction = 'last';
    if (direction) {
      e.preventDefault();
      const next = this.model.neighbour(key, direction);
      if (next) this.setFocus(next);
      else if (dir === 'left' || dir === 'right') this.focusEmptyLane(key, dir);
      return;
    }
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.events.open(key);
    }
  }

  private focusEmptyLane(key: string, dir: 'left' | 'right'): void {
    const card = this.model.get(key);
    if (!card) return;
    const lanes = this.model.lanes;
    const i = lanes.findIndex((l) => l.id === card.lane);
    const target = lanes[i + (dir === 'left' ? -1 : 1)];
    if (target) this.laneViews.get(target.id)?.list.focus();
  }

  /** Keys on an empty lane: arrows move to the lanes beside. */
  keyOnLane(laneId: string, e: KeyboardEvent): void {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    e.preventDefault();
    const lanes = this.model.lanes;
    const step = e.key === 'ArrowLeft' ? -1 : 1;
    for (let j = lanes.findIndex((l) => l.id === laneId) + step; j >= 0 && j < lanes.length; j += step) {
      const first = this.model.cardsIn(lanes[j].id)[0];
      if (first) return this.setFocus(first.key);
      return this.laneViews.get(lanes[j].id)?.list.focus();
    }
  }

  cardElement(key: string): HTMLElement | undefined {
    const card = this.model.get(key);
    return card ? this.laneViews.get(card.lane)?.element(key) : undefined;
  }

  scrollOffsets(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const v of this.laneViews.values()) out[v.laneId] = v.list.scrollTop;
    return out;
  }
}
