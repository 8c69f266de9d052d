/**
 * The panels (extension/panels/index.ts, the panels' own work) load through here only. Their
 * index is light (it registers serializers; the panel code loads when a panel opens), and the
 * assignment below checks it has the shape the extension calls.
 */
import type * as vscode from 'vscode';
import type { PanelKind } from '../webviews/common/protocol';
import type { BackendApi } from './backend-api';

export type { PanelKind };

export interface PanelDeps {
  context: vscode.ExtensionContext;
  api: BackendApi;
  log: vscode.LogOutputChannel;
}

/** What a panel should show when it opens: one run or one card. */
export interface PanelFocus {
  runId?: string;
  cardKey?: string;
}

export interface PanelsModule {
  openPanel(kind: PanelKind, deps: PanelDeps, focus?: PanelFocus): unknown;
  registerPanelSerializers(deps: PanelDeps): unknown;
}

let loaded: Promise<PanelsModule> | undefined;

export function loadPanels(): Promise<PanelsModule> {
  loaded ??= (async () => {
    const mod = await import('./panels/index');
    const typed: PanelsModule = mod;
    return typed;
  })();
  loaded.catch(() => {
    loaded = undefined;
  });
  return loaded;
}
