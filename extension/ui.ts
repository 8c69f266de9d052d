/** How failures reach the user: one sentence that says what went wrong, with the action that helps. */
import * as vscode from 'vscode';
import { isApiError } from './backend/client';
import { BackendUnavailableError } from './backend/supervisor';
import { UntrustedWorkspaceError } from './trust';
import { violationLines } from './tools/schema-prompts';

const t = vscode.l10n.t;

export async function showFailure(err: unknown, what: string): Promise<void> {
  if (err instanceof UntrustedWorkspaceError) {
    const manage = t('Manage Workspace Trust');
    if ((await vscode.window.showWarningMessage(err.message, manage)) === manage) await vscode.commands.executeCommand('workbench.trust.manage');
    return;
  }
  if (err instanceof BackendUnavailableError) {
    const showLog = t('Show Backend Log');
    const restart = t('Restart Backend');
    const pick = await vscode.window.showErrorMessage(t('Product OS backend is not available: {0}', err.message), showLog, restart);
    if (pick === showLog) await vscode.commands.executeCommand('productOs.showBackendLog');
    if (pick === restart) await vscode.commands.executeCommand('productOs.restartBackend');
    return;
  }
  if (isApiError(err)) {
    if (err.code === 'not_implemented' || err.code === 'not_configured') {
      await vscode.window.showWarningMessage(t('{0} is not available here yet: {1}', what, err.message));
      return;
    }
    if (err.code === 'unauthorized') {
      await vscode.window.showErrorMessage(t('The backend refused the token ({0}). In server mode, run "Product OS: Set Server Token…".', err.message));
      return;
    }
    if (err.code === 'unreachable' || err.code === 'timeout') {
      const showLog = t('Show Backend Log');
      if ((await vscode.window.showErrorMessage(t('{0} failed: {1}', what, err.message), showLog)) === showLog) await vscode.commands.executeCommand('productOs.showBackendLog');
      return;
    }
    const lines = violationLines(err.details);
    await vscode.window.showErrorMessage(t('{0} failed: {1}', what, lines.length > 0 ? lines.join('; ') : err.message));
    return;
  }
  await vscode.window.showErrorMessage(t('{0} failed: {1}', what, err instanceof Error ? err.message : String(err)));
}

/** Opens JSON in an untitled editor (a tool's output, a run's detail). */
export async function showJson(value: unknown): Promise<void> {
  const doc = await vscode.workspace.openTextDocument({ language: 'json', content: `${JSON.stringify(value, null, 2)}\n` });
  await vscode.window.showTextDocument(doc, { preview: true });
}
