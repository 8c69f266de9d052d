/** The status-bar item: the backend's state and how many runs are active. */
import * as vscode from 'vscode';
import type { SupervisorState } from '../backend/supervisor';
import type { Services } from '../services';

const t = vscode.l10n.t;

export function statusText(state: SupervisorState, activeRuns: number): { text: string; tooltip: string; error: boolean } {
  const runs = activeRuns > 0 ? ` $(sync~spin) ${activeRuns}` : '';
  switch (state.kind) {
    case 'idle':
      return { text: '$(circle-outline) Product OS', tooltip: t('Product OS: the backend starts when you first use it'), error: false };
    case 'starting':
      return { text: '$(loading~spin) Product OS', tooltip: t('Product OS: starting the backend…'), error: false };
    case 'ready':
      return {
        text: `$(server-process) Product OS${runs}`,
        tooltip: t('Product OS: {0} backend at {1}; {2} active runs', state.origin === 'server' ? t('server') : state.origin === 'attached' ? t('shared') : t('bundled'), state.connection.url, activeRuns),
        error: false,
      };
    case 'restarting':
      return { text: '$(debug-restart) Product OS', tooltip: t('Product OS: {0}; restarting in {1} s', state.reason, state.delayMs / 1000), error: false };
    case 'failed':
      return { text: '$(error) Product OS', tooltip: t('Product OS: {0}', state.message), error: true };
    case 'stopped':
      return { text: '$(circle-slash) Product OS', tooltip: t('Product OS: backend stopped'), error: false };
  }
}

export function createStatusBar(s: Services): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('productOs.status', vscode.StatusBarAlignment.Left, 50);
  item.name = 'Product OS';
  const update = () => {
    const st = s.state();
    const { text, tooltip, error } = statusText(st, st.kind === 'ready' ? s.runs.activeCount() : 0);
    item.text = text;
    item.tooltip = tooltip;
    item.backgroundColor = error ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    item.command = st.kind === 'failed' ? 'productOs.showBackendLog' : 'productOs.open.runs';
  };
  update();
  item.show();
  const subs = [
    s.onDidChangeState((st) => {
      update();
      // Count active runs once a backend is up (never start one just for the status bar).
      if (st.kind === 'ready') s.runs.start().catch((err) => s.log.debug(`run list: ${(err as Error).message}`));
    }),
  ];
  const off = s.runs.onDidChange(update);
  return new vscode.Disposable(() => {
    off();
    subs.forEach((d) => d.dispose());
    item.dispose();
  });
}
