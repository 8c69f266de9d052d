/**
 * The card drawer: the card's title, labels, priority and description (edited together, saved
 * with ifVersion as one cards.update run), archive, the card's history (its events) and its
 * runs, and "Run Card" (tool cards.run).
 */
import { CARD_PRIORITIES, runIsAboutCard, type Card, type CardEvent, type CardPriority, type Run, type ToolInfo } from '../../contracts/rest';
import type { HostClient } from '../common/client';
import { RequestError } from '../common/client';
import { h, icon, replace } from '../common/dom';
import { formatTime } from '../common/format';
import { describeError, statusBadge } from '../common/ui';

export interface DrawerEvents {
  closed(): void;
  saved(card: Card): void;
  archived(card: Card): void;
  conflict(current: Card | null, message: string): void;
  laneName(id: string): string;
}

export function describeCardEvent(e: CardEvent, laneName: (id: string) => string): string {
  const d = (e.data ?? {}) as Record<string, unknown>;
  switch (e.type) {
    case 'created':
      return `Created in ${laneName(String(d.lane ?? ''))}`;
    case 'moved':
      return `Moved from ${laneName(String(d.from ?? '?'))} to ${laneName(String(d.to ?? '?'))}`;
    case 'edited':
      return `Edited ${Array.isArray(d.fields) ? d.fields.join(', ') : ''}`.trim();
    case 'archived':
      return 'Archived';
    case 'restored':
      return 'Restored to the board';
    default:
      return e.type.replace(/_/g, ' ');
  }
}


export class CardDrawer {
  readonly root: HTMLElement;
  private card: Card | null = null;
  private runs: Run[] = [];
  private runTool: ToolInfo | undefined;
  private readonly body: HTMLElement;
  private readonly heading: HTMLElement;
  private historyEl: HTMLElement;
  private runsEl: HTMLElement;
  private runNotice: HTMLElement;
  private description: HTMLElement & { value: string };
  private titleField: HTMLElement & { value: string };
  private labelsField: HTMLElement & { value: string };
  private priorityField: HTMLElement & { value: string };
  private saveButton: HTMLElement & { disabled: boolean };

  constructor(
    private readonly client: HostClient,
    private readonly events: DrawerEvents,
  ) {
    this.heading = h('h2', { attrs: { id: 'drawer-title' } });
    this.body = h('div', { class: 'drawer-body' });
    this.historyEl = h('div');
    this.runsEl = h('div');
    this.runNotice = h('div');
    this.description = h('vscode-textarea', { attrs: { rows: 6, 'aria-label': 'Description', resize: 'vertical', maxlength: 50000 } }) as unknown as HTMLElement & { value: string };
    this.titleField = h('vscode-textfield', { attrs: { 'aria-label': 'Title', maxlength: 300, 'data-field': 'title' } }) as unknown as HTMLElement & { value: string };
    this.labelsField = h('vscode-textfield', { attrs: { 'aria-label': 'Labels, separated by commas', placeholder: 'bug, growth', 'data-field': 'labels' } }) as unknown as HTMLElement & { value: string };
    this.priorityField = h(
      'vscode-single-select',
      { attrs: { 'aria-label': 'Priority', 'data-field': 'priority' } },
      CARD_PRIORITIES.map((p) => h('vscode-option', { attrs: { value: p } }, p)),
    ) as unknown as HTMLElement & { value: string };
    this.saveButton = h('vscode-button', { attrs: { disabled: true, 'data-action': 'save-card' }, on: { click: () => void this.saveDetails() } }, 'Save') as unknown as HTMLElement & { disabled: boolean };
    for (const f of [this.description, this.titleField, this.labelsField]) f.addEventListener('input', () => this.changed());
    this.priorityField.addEventListener('change', () => this.changed());
    this.root = h(
      'aside',
      { class: 'drawer hidden', attrs: { role: 'dialog', 'aria-labelledby': 'drawer-title', 'aria-modal': 'false' } },
      h('header', { class: 'drawer-header' }, this.heading, h('span', { class: 'spacer' }), h('button', { class: 'icon-button', attrs: { type: 'button', 'aria-label': 'Close', title: 'Close (Escape)' }, on: { click: () => this.close() } }, icon('close'))),
      this.body,
    );
    this.root.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        this.close();
      }
    });
  }

  get openKey(): string | null {
    return this.card?.key ?? null;
  }

  setRunTool(tool: ToolInfo | undefined): void {
    this.runTool = tool;
    if (this.card) this.renderRunNotice(null);
  }

  open(card: Card): void {
    const same = this.card?.key === card.key;
    this.card = card;
    this.root.classList.remove('hidden');
    if (!same) {
      this.runs = [];
      this.fill(card);
      this.renderBody();
      void this.loadHistory();
    } else this.update(card);
    this.root.querySelector<HTMLElement>('.icon-button')?.focus();
  }

  /** The card changed (moved, edited, or a conflict brought the backend's version). */
  update(card: Card): void {
    if (!this.card || this.card.key !== card.key) return;
    // What the person is typing is kept; a field they have not touched follows the backend.
    const edits = this.edits();
    this.card = card;
    this.fill({ ...card, ...edits });
    this.renderFacts();
    void this.loadHistory();
  }

  private fill(values: Pick<Card, 'title' | 'labels' | 'priority' | 'description'>): void {
    this.titleField.value = values.title;
    this.labelsField.value = values.labels.join(', ');
    this.priorityField.value = values.priority;
    this.description.value = values.description;
    this.changed();
  }

  /** The fields that differ from the card as the backend has it. */
  private edits(): Partial<Pick<Card, 'title' | 'labels' | 'priority' | 'description'>> {
    const c = this.card;
    if (!c) return {};
    const out: Partial<Pick<Card, 'title' | 'labels' | 'priority' | 'description'>> = {};
    const title = this.titleField.value.trim();
    if (title && title !== c.title) out.title = title;
    const labels = [...new Set(this.labelsField.value.split(',').map((l) => l.trim()).filter(Boolean))];
    if (labels.join('\n') !== c.labels.join('\n')) out.labels = labels;
    if (this.priorityField.value && this.priorityField.value !== c.priority) out.priority = this.priorityField.value as CardPriority;
    if (this.description.value !== c.description) out.description = this.description.value;
    return out;
  }

  private changed(): void {
    this.saveButton.disabled = !this.card || Object.keys(this.edits()).length === 0;
  }

  close(): void {
    if (!this.card) return;
    this.card = null;
    this.root.classList.add('hidden');
    this.events.closed();
  }

  runChanged(run: Run): void {
    if (!this.card || !runIsAboutCard(run, this.card.key)) return;
    const i = this.runs.findIndex((r) => r.id === run.id);
    if (i >= 0) this.runs[i] = run;
    else this.runs.unshift(run);
    this.renderRuns();
  }

  private facts = h('div', { class: 'row' });

  private renderFacts(): void {
    const c = this.card;
    if (!c) return;
    replace(this.heading, `${c.key} · ${c.title}`);
    replace(this.facts, h('span', { class: 'chip' }, this.events.laneName(c.lane)), c.labels.map((l) => h('span', { class: 'chip' }, l)), h('span', { class: 'muted' }, `version ${c.version} · updated ${formatTime(c.updatedAt)}`));
  }

  private renderBody(): void {
    this.renderFacts();
    replace(
      this.body,
      this.facts,
      h(
        'section',
        { class: 'card-form' },
        h('label', null, 'Title', this.titleField),
        h('div', { class: 'row' }, h('label', { class: 'grow' }, 'Labels', this.labelsField), h('label', null, 'Priority', this.priorityField)),
        h('label', null, 'Description', this.description),
        h(
          'div',
          { class: 'row' },
          this.saveButton,
          h('span', { class: 'spacer' }),
          h('vscode-button', { attrs: { secondary: true, icon: 'archive', 'data-action': 'archive-card' }, on: { click: () => void this.archive() } }, 'Archive'),
        ),
      ),
      h(
        'section',
        null,
        h('h3', null, 'Run'),
        h('div', { class: 'row' }, h('vscode-button', { attrs: { icon: 'play', 'data-action': 'run-card' }, on: { click: () => void this.runCard() } }, 'Run Card')),
        this.runNotice,
        this.branchActions,
      ),
      h('section', null, h('h3', null, 'Runs'), this.runsEl),
      h('section', null, h('h3', null, 'History'), this.historyEl),
    );
    this.renderRunNotice(null);
    replace(this.historyEl, h('span', { class: 'muted' }, 'Loading…'));
    this.renderRuns();
  }

  private renderRunNotice(message: string | null): void {
    const notices: HTMLElement[] = [];
    if (this.runTool && !this.runTool.available) {
      notices.push(h('p', { class: 'notice', attrs: { 'data-notice': 'run-unavailable' } }, icon('warning'), ` ${this.runTool.name} is not available yet: ${this.runTool.unavailableReason ?? 'no executor'}.`));
    }
    if (message) notices.push(h('p', { class: 'notice notice-error', attrs: { role: 'alert', 'data-notice': 'run-error' } }, message));
    replace(this.runNotice, notices);
  }

  /** "Open diff" and "Check out branch" once a run of this card has committed (newest such run). */
  private branchActions = h('div', { class: 'row', attrs: { 'data-role': 'branch-actions' } });

  private renderBranchActions(): void {
    const card = this.card;
    const done = card && this.runs.find((r) => r.tool === 'cards.run' && r.status === 'succeeded' && typeof (r.output as { commit_sha?: unknown } | undefined)?.commit_sha === 'string');
    if (!card || !done) {
      replace(this.branchActions);
      return;
    }
    const branch = (done.output as { branch?: string }).branch ?? '';
    const act = (action: 'diff' | 'checkout') => () =>
      void this.client.request('card/branch', { key: card.key, action }).catch((err: unknown) => this.renderRunNotice(`Could not ${action === 'diff' ? 'open the diff' : 'check out the branch'}: ${describeError(err)}`));
    replace(
      this.branchActions,
      h('vscode-button', { attrs: { secondary: true, icon: 'diff', 'data-action': 'open-diff' }, on: { click: act('diff') } }, 'Open diff'),
      h('vscode-button', { attrs: { secondary: true, icon: 'git-branch', 'data-action': 'checkout-branch' }, on: { click: act('checkout') } }, 'Check out branch'),
      h('span', { class: 'muted' }, branch),
    );
  }

  private renderRuns(): void {
    this.renderBranchActions();
    if (this.runs.length === 0) {
      replace(this.runsEl, h('span', { class: 'muted' }, 'No runs for this card yet.'));
      return;
    }
    replace(
      this.runsEl,
      h(
        'ul',
        { class: 'timeline' },
        this.runs.map((r) =>
          h(
            'li',
            null,
            statusBadge(r),
            h('a', { attrs: { href: '#', title: 'Show in the Runs panel' }, on: { click: (e) => (e.preventDefault(), void this.client.request('ui/openPanel', { panel: 'runs', runId: r.id })) } }, r.tool),
            h('time', null, formatTime(r.createdAt)),
          ),
        ),
      ),
    );
  }

  private async loadHistory(): Promise<void> {
    const key = this.card?.key;
    if (!key) return;
    try {
      const { events, runs } = await this.client.request('card/history', { key });
      if (this.card?.key !== key) return;
      this.runs = runs;
      this.renderRuns();
      replace(
        this.historyEl,
        events.length === 0
          ? h('span', { class: 'muted' }, 'No history.')
          : h(
              'ul',
              { class: 'timeline' },
              [...events].reverse().map((e) => h('li', null, h('time', null, formatTime(e.createdAt)), h('span', null, describeCardEvent(e, this.events.laneName)), h('span', { class: 'muted' }, e.actor))),
            ),
      );
    } catch (err) {
      if (this.card?.key === key) replace(this.historyEl, h('span', { class: 'error-text' }, `Could not load the history: ${describeError(err)}`));
    }
  }

  private async runCard(): Promise<void> {
    const card = this.card;
    if (!card) return;
    this.renderRunNotice(null);
    try {
      const run = await this.client.request('card/run', { key: card.key });
      this.runChanged(run);
    } catch (err) {
      if (this.card?.key !== card.key) return;
      const code = err instanceof RequestError ? err.code : '';
      const msg = code === 'not_implemented' ? `Run Card is not available yet: ${(err as Error).message}` : code === 'not_configured' ? `Run Card is not set up here: ${(err as Error).message}` : `Run Card failed: ${describeError(err)}`;
      this.renderRunNotice(msg);
    }
  }

  private async saveDetails(): Promise<void> {
    const card = this.card;
    if (!card) return;
    const edits = this.edits();
    if (Object.keys(edits).length === 0) return;
    this.saveButton.disabled = true;
    try {
      const saved = await this.client.request('card/update', { key: card.key, ifVersion: card.version, ...edits });
      this.card = saved;
      this.fill(saved);
      this.events.saved(saved);
    } catch (err) {
      if (err instanceof RequestError && err.code === 'conflict') {
        const current = (err.details as { card?: Card } | undefined)?.card ?? null;
        this.events.conflict(current, `${card.key} was changed elsewhere; your edits are kept in the form — review and save again.`);
      } else this.events.conflict(null, `Could not save ${card.key}: ${describeError(err)}`);
      this.changed();
    }
  }

  private async archive(): Promise<void> {
    const card = this.card;
    if (!card) return;
    try {
      const archived = await this.client.request('card/archive', { key: card.key, ifVersion: card.version, archived: true });
      this.events.archived(archived);
    } catch (err) {
      const current = err instanceof RequestError && err.code === 'conflict' ? ((err.details as { card?: Card } | undefined)?.card ?? null) : null;
      this.events.conflict(current, `Could not archive ${card.key}: ${describeError(err)}`);
    }
  }
}
