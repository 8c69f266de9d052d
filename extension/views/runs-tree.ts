/**
 * The Runs view: recent runs, live, with a codicon per status and actions by status. The reads
 * the views make on their own (contracts/run-origin.ts) sit in one collapsed group at the end,
 * so the runs a person or an agent started stay in sight; expanding it shows them.
 */
import * as vscode from 'vscode';
import type { Run } from '../../contracts/rest';
import type { Services } from '../services';
import { ago, runStatusIcon } from './run-icons';
import { callerLabel } from '../../webviews/common/caller-label';
import { isViewRead } from '../../contracts/run-origin';

const t = vscode.l10n.t;

type Node = { run: Run } | { viewReads: Run[] };

export class RunsTree implements vscode.TreeDataProvider<Node> {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  view?: vscode.TreeView<Node>;
  private pending?: NodeJS.Timeout;

  constructor(private readonly s: Services) {
    s.runs.onDidChange(() => this.refreshSoon());
  }

  /** Coalesces bursts of run changes into one repaint. */
  refreshSoon(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.changed.fire(undefined);
    }, 100);
  }

  /** Tool titles by name, so runs are named by what they do; filled on first load. */
  private titles = new Map<string, string>();

  getTreeItem(node: Node): vscode.TreeItem {
    if ('viewReads' in node) {
      const group = new vscode.TreeItem(t('View reads'), vscode.TreeItemCollapsibleState.Collapsed);
      group.id = 'runs:view-reads';
      group.description = String(node.viewReads.length);
      group.iconPath = new vscode.ThemeIcon('eye-closed');
      group.tooltip = t('Runs the editor\'s views made on their own (the Services view\'s list and status reads): hidden here unless expanded.');
      group.contextValue = 'viewReads';
      return group;
    }
    const { run } = node;
    const title = this.titles.get(run.tool) ?? run.tool;
    const item = new vscode.TreeItem(title, vscode.TreeItemCollapsibleState.None);
    item.id = `run:${run.id}`;
    const icon = runStatusIcon(run.status);
    item.iconPath = new vscode.ThemeIcon(icon.codicon, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
    item.description = `${run.status.replace('_', ' ')} · ${ago(run.createdAt, Date.now())}`;
    item.tooltip = new vscode.MarkdownString(
      [`**${title}** (\`${run.tool}\`) — ${run.status.replace('_', ' ')}`, `${t('risk')}: ${run.risk} · ${t('started by')}: ${callerLabel(run.caller)}`, `id: \`${run.id}\``, run.error ? `${run.error.code}: ${run.error.message}` : '']
        .filter(Boolean)
        .join('\n\n'),
    );
    item.contextValue = `run.${run.status}`;
    item.command = { command: 'productOs.open.runs', title: t('Open Runs'), arguments: [{ runId: run.id }] };
    return item;
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (node) return 'viewReads' in node ? this.s.runs.list().filter(isViewRead).map((run) => ({ run })) : [];
    if (this.s.state().kind === 'failed') return [];
    try {
      if (this.view) this.view.message = this.s.state().kind === 'ready' ? undefined : t('Starting the Product OS backend…');
      await this.s.runs.start();
      if (this.titles.size === 0) {
        // Names only: a tool list that cannot be read leaves the ids, which still work.
        this.titles = new Map((await this.s.tools.list().catch(() => [])).map((tool) => [tool.name, tool.title]));
      }
      const runs = this.s.runs.list();
      if (this.view) this.view.message = runs.length === 0 ? t('No runs yet. Run a card or a tool from the command palette.') : undefined;
      const reads = runs.filter(isViewRead);
      const shown: Node[] = runs.filter((r) => !isViewRead(r)).map((run) => ({ run }));
      return reads.length > 0 ? [...shown, { viewReads: reads }] : shown;
    } catch (err) {
      if (this.view) this.view.message = t('Cannot load runs: {0}', (err as Error).message);
      return [];
    }
  }
}
