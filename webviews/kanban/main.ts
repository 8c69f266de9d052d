/**
 * The Kanban panel: lanes and cards from the backend (through the host), drag and drop or
 * Alt+arrow moves saved with ifVersion, rollback to the backend's place on a conflict, quick
 * add in each lane, the card drawer (edit, archive), archived cards to restore, and live
 * changes from other windows and agents. Its own state (open card, focused card, lane
 * scroll) survives hide and reload.
 */
import '../common/elements';
import type { Card } from '../../contracts/rest';
import { HostClient, RequestError } from '../common/client';
import { h, replace } from '../common/dom';
import { PanelState } from '../common/state';
import { describeError, showBanner } from '../common/ui';
import { vscodeApi } from '../common/vscode-api';
import { BoardModel, conflictCard } from './board-model';
import { BoardView } from './board-view';
import { CardDrawer } from './drawer';

const vscode = vscodeApi();
const client = new HostClient(vscode, window);
client.onProtocolError = (m) => showBanner('warning', m);
const state = new PanelState(vscode, { openCard: '', focusCard: '', scroll: {} as Record<string, number> });

const model = new BoardModel();
const app = document.getElementById('app') as HTMLElement;
const status = h('span', { class: 'muted', attrs: { 'data-role': 'count' } });

let scrollSave: ReturnType<typeof setTimeout> | undefined;

const view = new BoardView(model, {
  move: (key, toLane, toIndex, via) => void move(key, toLane, toIndex, via),
  open: (key) => openCard(key),
  focusChanged: (key) => state.update({ focusCard: key }),
  scrolled: () => {
    clearTimeout(scrollSave);
    scrollSave = setTimeout(() => state.update({ scroll: view.scrollOffsets() }), 200);
  },
  create: (lane, title) => create(lane, title),
});

/** Quick add: the card appears once the backend has it (the board stream may bring it first). */
async function create(lane: string, title: string): Promise<boolean> {
  try {
    const card = await client.request('card/create', { title, lane });
    model.upsert(card);
    view.update();
    updateCount();
    view.announce(`${card.key} added to ${model.laneName(lane)}.`);
    return true;
  } catch (err) {
    showBanner('warning', `Could not add the card: ${describeError(err)}`);
    return false;
  }
}

const drawer = new CardDrawer(client, {
  closed: () => {
    view.setSelected(null);
    state.update({ openCard: '' });
    const key = view.focusKey;
    if (key) view.setFocus(key);
  },
  saved: (card) => {
    model.upsert(card);
    view.update();
    showBanner('info', `Saved ${card.key}.`);
  },
  archived: (card) => {
    drawer.close();
    model.upsert(card);
    view.update();
    updateCount();
    showBanner('info', `Archived ${card.key}. Restore it from Archived in the toolbar.`);
    if (!archivedList.classList.contains('hidden')) void loadArchived();
  },
  conflict: (current, message) => {
    if (current) {
      model.upsert(current);
      view.update();
      drawer.update(current);
    }
    showBanner('warning', message);
  },
  laneName: (id) => model.laneName(id),
});

function openCard(key: string): void {
  const card = model.get(key);
  if (!card) return;
  view.setSelected(key);
  drawer.open(card);
  state.update({ openCard: key });
}

function updateCount(): void {
  status.textContent = `${model.size} card${model.size === 1 ? '' : 's'}`;
}

/** Save a move: optimistic now, confirmed or rolled back when the backend answers. */
async function move(key: string, toLane: string, toIndex: number, via: 'drag' | 'keyboard'): Promise<void> {
  if (model.saving.has(key)) {
    showBanner('info', `${key} is still being saved.`);
    return;
  }
  const plan = model.planMove(key, toLane, toIndex);
  if (!plan) return;
  const snapshot = model.applyOptimistic(plan);
  view.update();
  if (via === 'keyboard') view.setFocus(key);
  view.announce(`${key} moved to ${model.laneName(plan.toLane)}, position ${plan.toIndex + 1}. Saving.`);
  try {
    const saved = await client.request('card/move', { key, ifVersion: plan.ifVersion, lane: plan.toLane, position: plan.position });
    model.confirm(saved);
    view.update();
    drawer.update(saved);
    view.announce(`${key} saved in ${model.laneName(saved.lane)}.`);
  } catch (err) {
    const current = err instanceof RequestError && err.code === 'conflict' ? conflictCard(err.details) : null;
    model.rollback(snapshot, current);
    view.update();
    const back = model.get(key) as Card;
    drawer.update(back);
    if (view.focusKey === key) view.setFocus(key, via === 'keyboard');
    const message =
      err instanceof RequestError && err.code === 'conflict'
        ? `${key} was changed elsewhere, so it was not moved: it is back in ${model.laneName(back.lane)}, where the backend has it.`
        : `Could not move ${key}: ${describeError(err)}. It is back in ${model.laneName(back.lane)}.`;
    showBanner('warning', message);
    view.announce(message);
  }
}

async function load(): Promise<void> {
  app.setAttribute('aria-busy', 'true');
  try {
    performance.mark('board-request');
    const { lanes, cards } = await client.request('board/load', {});
    performance.mark('board-data');
    model.load(lanes, cards);
    view.mount(state.get().scroll);
    updateCount();
    performance.mark('board-rendered');
    requestAnimationFrame(() => setTimeout(() => performance.mark('board-painted'), 0));
    const { openCard: open, focusCard } = state.get();
    if (focusCard && model.get(focusCard)) view.focusKey = focusCard;
    if (open && model.get(open)) openCard(open);
  } catch (err) {
    showBanner('error', `Could not load the board: ${describeError(err)}`);
  } finally {
    app.setAttribute('aria-busy', 'false');
  }
}

async function loadTools(): Promise<void> {
  try {
    const { tools } = await client.request('tools/list', {});
    drawer.setRunTool(tools.find((t) => t.name === 'cards.run'));
  } catch {
    // The Run button still explains a refusal when it is pressed.
  }
}

const archivedList = h('section', { class: 'archived hidden', attrs: { 'aria-label': 'Archived cards', 'data-role': 'archived' } });

/** The archived cards, each with Restore (back to the lane it was in). */
async function loadArchived(): Promise<void> {
  replace(archivedList, h('span', { class: 'muted' }, 'Loading…'));
  try {
    const { cards } = await client.request('cards/archived', {});
    replace(
      archivedList,
      h('h2', null, `Archived (${cards.length})`),
      cards.length === 0
        ? h('p', { class: 'muted' }, 'No archived cards.')
        : h(
            'ul',
            { class: 'timeline' },
            cards.map((c) =>
              h(
                'li',
                null,
                h('span', { class: 'card-key' }, c.key),
                h('span', { class: 'grow' }, c.title),
                h('vscode-button', { attrs: { secondary: true, 'data-action': 'restore-card', 'data-key': c.key }, on: { click: () => void restore(c) } }, 'Restore'),
              ),
            ),
          ),
    );
  } catch (err) {
    replace(archivedList, h('span', { class: 'error-text' }, `Could not load the archived cards: ${describeError(err)}`));
  }
}

async function restore(card: Card): Promise<void> {
  try {
    const back = await client.request('card/archive', { key: card.key, ifVersion: card.version, archived: false });
    model.upsert(back);
    view.update();
    updateCount();
    showBanner('info', `Restored ${back.key} to ${model.laneName(back.lane)}.`);
  } catch (err) {
    showBanner('warning', `Could not restore ${card.key}: ${describeError(err)}`);
  }
  await loadArchived();
}

function toggleArchived(): void {
  const show = archivedList.classList.toggle('hidden') === false;
  if (show) void loadArchived();
}

replace(
  app,
  h(
    'div',
    { class: 'toolbar' },
    h('h1', null, 'Kanban'),
    status,
    h('span', { class: 'spacer' }),
    h('vscode-button', { attrs: { secondary: true, icon: 'archive', 'aria-label': 'Show archived cards', 'data-action': 'show-archived' }, on: { click: () => toggleArchived() } }, 'Archived'),
    h('vscode-button', { attrs: { secondary: true, icon: 'refresh', 'aria-label': 'Reload the board' }, on: { click: () => void load() } }, 'Reload'),
  ),
  archivedList,
  h('div', { class: 'keys-help', attrs: { id: 'keys-help' } }, 'Arrows move between cards · Enter opens a card · Alt+arrows move the card · + in a lane adds a card · Escape closes the drawer'),
  view.root,
  view.liveRegion,
  drawer.root,
);
view.root.setAttribute('aria-describedby', 'keys-help');

// Changes made elsewhere (another window, an agent, the CLI) arrive here within a moment.
client.on('board/changed', ({ card }) => {
  if (model.saving.has(card.key)) return;
  if (model.isStale(card)) return;
  model.upsert(card);
  view.update();
  if (card.archived && drawer.openKey === card.key) drawer.close();
  else drawer.update(card);
  updateCount();
});
client.on('run/changed', ({ run }) => drawer.runChanged(run));
client.on('panel/focus', ({ cardKey }) => {
  if (cardKey && model.get(cardKey)) {
    view.setFocus(cardKey);
    openCard(cardKey);
  }
});
client.on('panel/resync', () => void load());
client.on('protocol/error', ({ message }) => showBanner('warning', `The extension refused a message: ${message}`));

performance.mark('panel-script');
client.ready('kanban');
void load();
void loadTools();
