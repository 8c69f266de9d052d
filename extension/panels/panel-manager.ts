/**
 * The panels' editor side: creates (or revives, after a window reload) each panel's
 * WebviewPanel, wires its message channel to the backend handlers and keeps one panel per kind.
 * Loaded on first use (index.ts imports it lazily), so activation stays small.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { BackendApi } from '../backend-api';
import type { PanelKind } from '../../webviews/common/protocol';
import { HostChannel } from './channel';
import { PanelHandlers } from './handlers';
import { panelAssets, renderPanelHtml } from './html';

export interface PanelDeps {
  context: vscode.ExtensionContext;
  api: BackendApi;
  log: vscode.LogOutputChannel;
}

export interface PanelFocus {
  runId?: string;
  cardKey?: string;
}

export const viewTypeOf = (kind: PanelKind): string => `productOs.${kind}`;

function titleOf(kind: PanelKind): string {
  switch (kind) {
    case 'kanban':
      return vscode.l10n.t('Product OS: Kanban');
    case 'brain':
      return vscode.l10n.t('Product OS: Company Brain');
    case 'insights':
      return vscode.l10n.t('Product OS: Insights');
    case 'runs':
      return vscode.l10n.t('Product OS: Runs');
    case 'serviceMap':
      return vscode.l10n.t('Product OS: Service Map');
  }
}

/** Panels that show live run changes subscribe to the backend's run stream. */
const WANTS_RUNS: ReadonlySet<PanelKind> = new Set<PanelKind>(['kanban', 'runs', 'insights', 'serviceMap']);

export function newNonce(): string {
  return randomBytes(24).toString('base64').replace(/[+/=]/g, (c) => (c === '+' ? '-' : c === '/' ? '_' : ''));
}

class ProductOsPanel {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly channel: HostChannel;
  private readonly handlers: PanelHandlers;

  constructor(
    readonly kind: PanelKind,
    readonly panel: vscode.WebviewPanel,
    private readonly deps: PanelDeps,
    private readonly manager: PanelManager,
    onDispose: () => void,
  ) {
    const root = vscode.Uri.joinPath(deps.context.extensionUri, 'dist', 'webviews');
    const webview = panel.webview;
    webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [root] };
    const assets = panelAssets(kind);
    webview.html = renderPanelHtml({
      kind,
      title: titleOf(kind),
      cspSource: webview.cspSource,
      nonce: newNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(root, assets.script)).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(root, assets.style)).toString(),
      codiconsUri: webview.asWebviewUri(vscode.Uri.joinPath(root, assets.codicons)).toString(),
    });

    this.handlers = new PanelHandlers({
      api: deps.api,
      panel: kind,
      notify: (n) => this.channel.notify(n),
      showMessage: (level, message) => {
        if (level === 'error') void vscode.window.showErrorMessage(message);
        else if (level === 'warning') void vscode.window.showWarningMessage(message);
        else void vscode.window.showInformationMessage(message);
      },
      openPanel: (other, focus) => this.manager.open(other, focus),
      cardBranch: async (key, action) => {
        await vscode.commands.executeCommand(action === 'diff' ? 'productOs.openCardDiff' : 'productOs.checkOutCardBranch', key);
      },
    });
    const log = deps.log;
    this.channel = new HostChannel(kind, { postMessage: (m) => webview.postMessage(m) }, this.handlers.handle, { debug: (m) => log.debug(m), warn: (m) => log.warn(m), error: (m) => log.error(m) }, panel.visible);

    this.disposables.push(
      webview.onDidReceiveMessage((m: unknown) => void this.channel.receive(m)),
      panel.onDidChangeViewState((e) => this.channel.setVisible(e.webviewPanel.visible)),
      panel.onDidDispose(() => {
        this.dispose();
        onDispose();
      }),
    );
    if (WANTS_RUNS.has(kind)) {
      const off = deps.api.onRun((run) => this.channel.notify({ kind: 'notification', type: 'run/changed', run }));
      this.disposables.push({ dispose: off });
    }
    if (kind === 'kanban') {
      // Moves and edits from other windows, agents and the CLI keep the board in step.
      const off = deps.api.onBoardChange((change) => this.channel.notify(change ? { kind: 'notification', type: 'board/changed', card: change.card } : { kind: 'notification', type: 'panel/resync' }));
      this.disposables.push({ dispose: off });
    }
  }

  focus(focus: PanelFocus | undefined): void {
    this.panel.reveal(undefined, false);
    if (focus && (focus.runId || focus.cardKey)) this.channel.notify({ kind: 'notification', type: 'panel/focus', ...focus });
  }

  dispose(): void {
    this.handlers.dispose();
    this.channel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

export class PanelManager {
  private readonly open_ = new Map<PanelKind, ProductOsPanel>();

  constructor(private readonly deps: PanelDeps) {}

  async open(kind: PanelKind, focus?: PanelFocus): Promise<void> {
    const existing = this.open_.get(kind);
    if (existing) {
      existing.focus(focus);
      return;
    }
    const panel = vscode.window.createWebviewPanel(viewTypeOf(kind), titleOf(kind), { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.deps.context.extensionUri, 'dist', 'webviews')],
    });
    this.adopt(kind, panel).focus(focus);
  }

  /** A panel VS Code restored after a reload: its webview's own state comes back through getState. */
  revive(kind: PanelKind, panel: vscode.WebviewPanel): void {
    this.open_.get(kind)?.panel.dispose();
    this.adopt(kind, panel);
  }

  private adopt(kind: PanelKind, panel: vscode.WebviewPanel): ProductOsPanel {
    const p: ProductOsPanel = new ProductOsPanel(kind, panel, this.deps, this, () => {
      if (this.open_.get(kind) === p) this.open_.delete(kind);
    });
    this.open_.set(kind, p);
    return p;
  }

  dispose(): void {
    for (const p of [...this.open_.values()]) p.panel.dispose();
    this.open_.clear();
  }
}
