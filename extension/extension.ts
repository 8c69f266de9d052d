/**
 * The composition root. Activation registers what the manifest contributes (commands, views,
 * the status bar, the MCP provider) and returns: no backend starts, no heavy module loads. The
 * backend starts on the first request; command handlers and panels load on first use.
 */
import * as vscode from 'vscode';
import type { BackendApi } from './backend-api';
import type { SupervisorState } from './backend/supervisor';
import type { Connection } from './backend/types';
import { registerCommands } from './commands/index';
import { registerMcp } from './mcp/register';
import { loadPanels } from './panel-loader';
import { createServices, type Services } from './services';
import { registerViews } from './views/index';
import { redactedLog, redactionOn } from './redacted-log';
import { readSettings } from './settings';

/** What activate() returns: used by the tests (test/unit/extension, test/e2e/vscode). */
export interface ProductOsExtensionApi {
  api: BackendApi;
  state(): SupervisorState;
  ensureReady(): Promise<Connection>;
}

let services: Services | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<ProductOsExtensionApi> {
  // Masked like the backend's logs while DEBUG_REDACTED_MODE (the editor's, or the one in
  // productOs.backend.environment, as the bundled backend gets it) is on.
  const productOsEnv = () => readSettings((k) => vscode.workspace.getConfiguration('productOs').get(k)).environment;
  const log = redactedLog(vscode.window.createOutputChannel('Product OS', { log: true }), () => redactionOn({ ...process.env, ...productOsEnv() }));
  context.subscriptions.push(log);
  const s = createServices(context, log);
  services = s;
  registerCommands(context, s);
  registerViews(context, s);
  registerMcp(context, s);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration('productOs.server') && !e.affectsConfiguration('productOs.backend') && !e.affectsConfiguration('productOs.approvals') && !e.affectsConfiguration('productOs.llm') && !e.affectsConfiguration('productOs.gcp') && !e.affectsConfiguration('productOs.logs') && !e.affectsConfiguration('productOs.serviceMap')) return;
      if (s.state().kind === 'idle') return s.reconfigure();
      const apply = vscode.l10n.t('Restart Backend');
      if ((await vscode.window.showInformationMessage(vscode.l10n.t('Product OS settings changed: restart the backend to apply them?'), apply)) === apply) {
        await s.reconfigure();
        await vscode.commands.executeCommand('productOs.restartBackend');
      }
    }),
  );
  // Panels restored after a window reload need their serializers now (onWebviewPanel:…).
  try {
    const panels = await loadPanels();
    const registered = panels.registerPanelSerializers({ context, api: s.api, log });
    for (const d of Array.isArray(registered) ? registered : [registered]) {
      if (d && typeof (d as vscode.Disposable).dispose === 'function') context.subscriptions.push(d as vscode.Disposable);
    }
  } catch (err) {
    log.warn(`panels: ${(err as Error).message}`);
  }
  return { api: s.api, state: () => s.state(), ensureReady: () => s.ensureReady() };
}

export async function deactivate(): Promise<void> {
  const s = services;
  services = undefined;
  await s?.dispose();
}
