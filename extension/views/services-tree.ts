/**
 * The Services view: the deploy target's services (local Docker by default, Cloud Run when
 * configured), each with its revisions — status, share of traffic, ref. It reads through the
 * deploy tools (cloudrun.list_services, get_service_status) when opened or refreshed, and again
 * when a deploy or rollback run starts or ends, so it follows what the palette, agents and other
 * windows do.
 * While a service shows "deploying" it reads again every few seconds (bounded): a deploy's state
 * can change without a run ending, e.g. a cancelled deploy's clean-up outlasts its run, which the
 * engine settles at once.
 */
import * as vscode from 'vscode';
import type { ListServicesOutput, RevisionInfo, ServiceStatus, ServiceSummary } from '../../contracts/tools/deploy';
import { TERMINAL_STATUSES } from '../../contracts/rest';
import type { Services } from '../services';
import { callTool } from './deploy-calls';

const t = vscode.l10n.t;

export type ServiceNode = { kind: 'service'; service: ServiceSummary } | { kind: 'revision'; service: ServiceSummary; revision: RevisionInfo };

/** The tools whose end changes what this view shows. */
const CHANGES_SERVICES = new Set(['cloudrun.deploy_service', 'cloudrun.rollback_service']);
const REFRESH_DEBOUNCE_MS = 300;

export interface ServicesTreeTiming {
  /** How often the view reads again while a service is deploying (default 3 s). */
  settleEveryMs?: number;
  /** For how long at most it keeps doing so (default 30 min, the deploy tool's timeout). */
  settleForMs?: number;
}

const STATUS_ICON: Record<string, [string, string]> = {
  ready: ['pass-filled', 'testing.iconPassed'],
  deploying: ['loading~spin', 'charts.blue'],
  error: ['error', 'testing.iconFailed'],
  retired: ['circle-outline', 'disabledForeground'],
  unknown: ['question', 'disabledForeground'],
};

export class ServicesTree implements vscode.TreeDataProvider<ServiceNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ServiceNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  view?: vscode.TreeView<ServiceNode>;
  private offRuns?: () => void;
  private pending?: ReturnType<typeof setTimeout>;
  private pendingDue = 0;
  /** When the view first read a service as deploying, in the current stretch of deploys. */
  private deployingSince?: number;
  private readonly settleEveryMs: number;
  private readonly settleForMs: number;

  constructor(
    private readonly s: Services,
    timing: ServicesTreeTiming = {},
  ) {
    this.settleEveryMs = timing.settleEveryMs ?? 3000;
    this.settleForMs = timing.settleForMs ?? 30 * 60_000;
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  /** A redraw in `ms`, unless one is due sooner already. */
  private refreshIn(ms: number): void {
    const due = Date.now() + ms;
    if (this.pending && this.pendingDue <= due) return;
    clearTimeout(this.pending);
    this.pendingDue = due;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.refresh();
    }, ms);
  }

  /** Reads again soon while something deploys, for at most settleForMs from the first deploying read. */
  private followDeploying(services: ServiceSummary[]): void {
    if (!services.some((sv) => sv.status === 'deploying')) {
      this.deployingSince = undefined;
      return;
    }
    this.deployingSince ??= Date.now();
    if (Date.now() - this.deployingSince <= this.settleForMs) this.refreshIn(this.settleEveryMs);
  }

  dispose(): void {
    clearTimeout(this.pending);
    this.offRuns?.();
    this.changed.dispose();
  }

  getTreeItem(node: ServiceNode): vscode.TreeItem {
    if (node.kind === 'service') {
      const sv = node.service;
      const item = new vscode.TreeItem(sv.service_name, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `service:${sv.region}/${sv.service_name}`;
      item.description = `${sv.status} · ${sv.service_url}`;
      item.tooltip = new vscode.MarkdownString(t('**{0}** ({1})\n\nStatus: {2}\n\nServing: {3}\n\n{4}', sv.service_name, sv.region, sv.status, sv.serving_revision || t('none'), sv.service_url));
      item.contextValue = 'service';
      item.iconPath = icon(sv.status);
      return item;
    }
    const r = node.revision;
    const item = new vscode.TreeItem(r.name, vscode.TreeItemCollapsibleState.None);
    item.id = `revision:${node.service.region}/${r.name}`;
    item.description = [r.traffic_percent > 0 ? t('{0}% traffic', r.traffic_percent) : '', r.status, r.ref ?? ''].filter(Boolean).join(' · ');
    item.tooltip = new vscode.MarkdownString([`**${r.name}**`, r.image ?? '', r.created_at, r.message ?? ''].filter(Boolean).join('\n\n'));
    item.contextValue = r.traffic_percent === 100 ? 'revision.serving' : r.status === 'error' ? 'revision.error' : 'revision';
    item.iconPath = icon(r.status);
    return item;
  }

  async getChildren(node?: ServiceNode): Promise<ServiceNode[]> {
    if (this.s.state().kind === 'failed') return [];
    try {
      if (node?.kind === 'revision') return [];
      if (node?.kind === 'service') {
        const st = await callTool<ServiceStatus>(this.s, 'cloudrun.get_service_status', { service_name: node.service.service_name, region: node.service.region });
        return (st.revisions ?? []).map((revision) => ({ kind: 'revision', service: node.service, revision }));
      }
      if (this.view) this.view.message = this.s.state().kind === 'ready' ? undefined : t('Starting the Product OS backend…');
      const list = await callTool<ListServicesOutput>(this.s, 'cloudrun.list_services', {});
      // Live from the first successful read on: a deploy or rollback that ends redraws the view.
      this.offRuns ??= this.s.api.onRun((run) => {
        // Its start too: the service then reads as deploying, and the view follows it from there.
        if (CHANGES_SERVICES.has(run.tool) && (run.status === 'running' || TERMINAL_STATUSES.has(run.status))) this.refreshIn(REFRESH_DEBOUNCE_MS);
      });
      this.followDeploying(list.services);
      if (this.view) {
        this.view.message = list.services.length === 0 ? t('No services yet on the {0} target: run "Deploy Service…".', list.target) : undefined;
        this.view.description = list.target === 'local' ? t('local Docker') : t('Google Cloud');
      }
      return list.services.map((service) => ({ kind: 'service', service }));
    } catch (err) {
      if (this.view) this.view.message = t('Cannot load the services: {0}', (err as Error).message);
      return [];
    }
  }
}

function icon(status: string): vscode.ThemeIcon {
  const [id, color] = STATUS_ICON[status] ?? STATUS_ICON.unknown;
  return new vscode.ThemeIcon(id, new vscode.ThemeColor(color));
}
