/**
 * A windowed list: fixed-height rows, only those in view (plus a few) in the DOM, keyed and
 * reused; arrow keys, Home/End and Enter; a callback when the end comes into view (paging).
 */
import { h } from '../common/dom';

export interface VirtualListOptions<T> {
  rowHeight: number;
  label: string;
  key(item: T): string;
  render(item: T, row: HTMLElement): void;
  select(item: T): void;
  nearEnd?(): void;
}

const OVERSCAN = 6;

export class VirtualList<T> {
  readonly root: HTMLElement;
  private readonly spacer: HTMLElement;
  private items: readonly T[] = [];
  private readonly rows = new Map<string, { el: HTMLElement; item: T }>();
  private scheduled = false;
  selectedKey: string | null = null;
  private focusKey: string | null = null;

  constructor(private readonly o: VirtualListOptions<T>) {
    this.spacer = h('div', { attrs: { 'aria-hidden': 'true' } });
    this.root = h('div', { class: 'vlist', attrs: { role: 'listbox', 'aria-label': o.label, tabindex: 0 } }, this.spacer);
    this.root.addEventListener('scroll', () => this.schedule());
    this.root.addEventListener('keydown', (e) => this.key(e));
    this.root.addEventListener('focus', () => {
      if (!this.focusKey && this.items[0]) this.focusIndex(this.indexOfKey(this.selectedKey) >= 0 ? this.indexOfKey(this.selectedKey) : 0);
    });
  }

  setItems(items: readonly T[]): void {
    this.items = items;
    this.render();
  }

  private indexOfKey(key: string | null): number {
    return key === null ? -1 : this.items.findIndex((i) => this.o.key(i) === key);
  }

  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.render();
    });
  }

  render(): void {
    const rh = this.o.rowHeight;
    this.spacer.style.height = `${this.items.length * rh}px`;
    const viewport = this.root.clientHeight || 600;
    const start = Math.max(0, Math.floor(this.root.scrollTop / rh) - OVERSCAN);
    const end = Math.min(this.items.length, Math.ceil((this.root.scrollTop + viewport) / rh) + OVERSCAN);
    const keep = new Set<string>();
    for (let i = start; i < end; i++) keep.add(this.o.key(this.items[i]));
    for (const [k, r] of this.rows) {
      if (!keep.has(k)) {
        r.el.remove();
        this.rows.delete(k);
      }
    }
    for (let i = start; i < end; i++) {
      const item = this.items[i];
      const k = this.o.key(item);
      let r = this.rows.get(k);
      if (!r) {
        const el = h('div', { class: 'vlist-row', attrs: { role: 'option', id: `row-${k}` }, dataset: { key: k } });
        el.addEventListener('click', () => {
          const cur = this.rows.get(k);
          if (cur) this.choose(cur.item);
        });
        r = { el, item };
        this.rows.set(k, r);
        this.o.render(item, el);
        this.root.appendChild(el);
      } else if (r.item !== item) {
        r.item = item;
        this.o.render(item, r.el);
      }
      r.el.style.transform = `translateY(${i * rh}px)`;
      r.el.setAttribute('aria-posinset', String(i + 1));
      r.el.setAttribute('aria-setsize', String(this.items.length));
      r.el.classList.toggle('selected', k === this.selectedKey);
      r.el.setAttribute('aria-selected', String(k === this.selectedKey));
    }
    if (this.focusKey && keep.has(this.focusKey)) this.root.setAttribute('aria-activedescendant', `row-${this.focusKey}`);
    else this.root.removeAttribute('aria-activedescendant');
    if (this.o.nearEnd && end >= this.items.length - OVERSCAN && this.items.length > 0) this.o.nearEnd();
  }

  private choose(item: T): void {
    this.selectedKey = this.o.key(item);
    this.focusKey = this.selectedKey;
    this.render();
    this.o.select(item);
  }

  select(key: string | null): void {
    this.selectedKey = key;
    this.render();
  }

  private focusIndex(i: number): void {
    const item = this.items[Math.max(0, Math.min(this.items.length - 1, i))];
    if (!item) return;
    this.focusKey = this.o.key(item);
    const idx = this.items.indexOf(item);
    const rh = this.o.rowHeight;
    if (idx * rh < this.root.scrollTop) this.root.scrollTop = idx * rh;
    else if ((idx + 1) * rh > this.root.scrollTop + this.root.clientHeight) this.root.scrollTop = (idx + 1) * rh - this.root.clientHeight;
    this.render();
    for (const r of this.rows.values()) r.el.classList.toggle('focused', this.o.key(r.item) === this.focusKey);
  }

  private key(e: KeyboardEvent): void {
    const i = this.indexOfKey(this.focusKey ?? this.selectedKey);
    const page = Math.max(1, Math.floor(this.root.clientHeight / this.o.rowHeight) - 1);
    const moves: Record<string, number> = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: this.items.length - 1, PageDown: i + page, PageUp: i - page };
    if (e.key in moves) {
      e.preventDefault();
      this.focusIndex(moves[e.key]);
      // Selection follows focus, as in VS Code's own lists.
      const item = this.items[this.indexOfKey(this.focusKey)];
      if (item) this.choose(item);
    } else if (e.key === 'Enter') {
      const item = this.items[i];
      if (item) this.choose(item);
    }
  }
}
