/** The Cards view: lanes (in the order of productOs.board.lanes when set), each with its cards. */
import * as vscode from 'vscode';
import type { Card, Lane } from '../../contracts/rest';
import type { Services } from '../services';
import { orderLanes } from './lanes';

const t = vscode.l10n.t;

type Node = { kind: 'lane'; lane: Lane; cards: Card[] } | { kind: 'card'; card: Card };

/** Changes that arrive together (a drag, a batch from an agent) redraw the tree once. */
const REFRESH_DEBOUNCE_MS = 150;

export class CardsTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  view?: vscode.TreeView<Node>;
  private offBoard?: () => void;
  private pending?: ReturnType<typeof setTimeout>;

  constructor(private readonly s: Services) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  private refreshSoon(): void {
    clearTimeout(this.pending);
    this.pending = setTimeout(() => this.refresh(), REFRESH_DEBOUNCE_MS);
  }

  dispose(): void {
    clearTimeout(this.pending);
    this.offBoard?.();
    this.changed.dispose();
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'lane') {
      const item = new vscode.TreeItem(node.lane.name, node.cards.length > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `lane:${node.lane.id}`;
      item.description = String(node.cards.length);
      item.contextValue = 'lane';
      item.iconPath = new vscode.ThemeIcon('layout-sidebar-left');
      return item;
    }
    const c = node.card;
    const item = new vscode.TreeItem(`${c.key} ${c.title}`, vscode.TreeItemCollapsibleState.None);
    item.id = `card:${c.key}`;
    item.description = [c.priority !== 'none' ? c.priority : '', ...c.labels].filter(Boolean).join(', ');
    item.tooltip = new vscode.MarkdownString(`**${c.key}** ${escapeMd(c.title)}\n\n${escapeMd(c.description).slice(0, 1000)}`);
    item.contextValue = 'card';
    item.iconPath = new vscode.ThemeIcon('note');
    item.command = { command: 'productOs.open.kanban', title: t('Open Kanban Board'), arguments: [{ cardKey: c.key }] };
    return item;
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (node?.kind === 'card') return [];
    if (node?.kind === 'lane') return node.cards.map((card) => ({ kind: 'card', card }));
    if (this.s.state().kind === 'failed') return []; // the welcome view explains
    try {
      if (this.view) this.view.message = this.s.state().kind === 'ready' ? undefined : t('Starting the Product OS backend…');
      const [lanes, cards] = await Promise.all([
        this.s.api.call('listLanes', {}),
        this.s.api.call('listCards', {}),
      ]);
      if (this.view) this.view.message = undefined;
      // Live from the first successful read on (not at activation: that would start the backend).
      this.offBoard ??= this.s.api.onBoardChange(() => this.refreshSoon());
      const byLane = new Map<string, Card[]>();
      for (const c of cards.cards) byLane.set(c.lane, [...(byLane.get(c.lane) ?? []), c]);
      return orderLanes(lanes.lanes, this.s.settings().lanes).map((lane) => ({ kind: 'lane', lane, cards: (byLane.get(lane.id) ?? []).sort((a, b) => a.position - b.position) }));
    } catch (err) {
      if (this.view) this.view.message = t('Cannot load the board: {0}', (err as Error).message);
      return [];
    }
  }
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
