/**
 * The webview panels (Kanban, Company Brain, Insights, Runs, Service Map): open one, or let VS
 * Code revive them after a window reload. The panel code itself loads on first use.
 *
 * The manifest needs `onWebviewPanel:productOs.<kind>` activation events for the serializers
 * (see PANEL_VIEW_TYPES).
 */
import * as vscode from 'vscode';
import { PANEL_KINDS, type PanelKind } from '../../contracts/panel-kinds';
import type { PanelDeps, PanelFocus, PanelManager } from './panel-manager';

export type { PanelKind };
export { PANEL_KINDS };

export type { PanelDeps, PanelFocus };

/** The view type of each panel, as `onWebviewPanel:` activation events name them. */
export const PANEL_VIEW_TYPES: Readonly<Record<PanelKind, string>> = {
  kanban: 'productOs.kanban',
  brain: 'productOs.brain',
  insights: 'productOs.insights',
  runs: 'productOs.runs',
  serviceMap: 'productOs.serviceMap',
};

// One manager per extension context (the composition root owns the context).
const managers = new WeakMap<vscode.ExtensionContext, Promise<PanelManager>>();

function managerFor(deps: PanelDeps): Promise<PanelManager> {
  let m = managers.get(deps.context);
  if (!m) {
    m = import('./panel-manager').then(({ PanelManager: Manager }) => {
      const manager = new Manager(deps);
      deps.context.subscriptions.push({ dispose: () => manager.dispose() });
      return manager;
    });
    managers.set(deps.context, m);
  }
  return m;
}

/** Open the panel of this kind, or reveal it; `focus` shows one run or card in it. */
export async function openPanel(kind: PanelKind, deps: PanelDeps, focus?: PanelFocus): Promise<void> {
  const manager = await managerFor(deps);
  await manager.open(kind, focus);
}

/** Serializers that revive each panel after a window reload (register them during activation). */
export function registerPanelSerializers(deps: PanelDeps): vscode.Disposable[] {
  return PANEL_KINDS.map((kind) =>
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPES[kind], {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
        const manager = await managerFor(deps);
        manager.revive(kind, panel);
      },
    }),
  );
}
