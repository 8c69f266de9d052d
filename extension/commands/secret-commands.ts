/** Store Secret / Remove Secret: values for editor://NAME references, kept in the editor's secret storage. */
import * as vscode from 'vscode';
import type { Services } from '../services';
import { EditorSecrets } from '../secrets/editor-secrets';
import { isServerMode } from '../settings';
import { showFailure } from '../ui';

const t = vscode.l10n.t;

function secretsOf(s: Services): EditorSecrets {
  return new EditorSecrets(s.context.secrets, s.context.globalState);
}

export async function storeSecret(s: Services): Promise<void> {
  const secrets = secretsOf(s);
  const name = await vscode.window.showInputBox({
    title: t('Store Secret'),
    prompt: t('A name for the secret; tools and blueprints refer to it as editor://NAME.'),
    ignoreFocusOut: true,
    validateInput: (v) => (EditorSecrets.nameProblem(v.trim()) ? t('letters, digits, _ . and - only, at most 128') : undefined),
  });
  if (!name) return;
  const value = await vscode.window.showInputBox({
    title: t('Store Secret: {0}', name.trim()),
    prompt: t('The value; kept in the editor\'s secret storage and handed to the backend at start, never written to disk or settings.'),
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v.length === 0 ? t('a secret cannot be empty') : undefined),
  });
  if (value === undefined) return;
  try {
    await secrets.set(name.trim(), value);
  } catch (err) {
    return showFailure(err, t('Store Secret'));
  }
  await offerRestart(s, t('Secret editor://{0} stored.', name.trim()));
}

export async function removeSecret(s: Services): Promise<void> {
  const secrets = secretsOf(s);
  const names = secrets.names();
  if (names.length === 0) {
    await vscode.window.showInformationMessage(t('No secrets are stored in the editor.'));
    return;
  }
  const name = await vscode.window.showQuickPick(names, { title: t('Remove Secret'), placeHolder: t('Which secret?') });
  if (!name) return;
  await secrets.remove(name);
  await offerRestart(s, t('Secret editor://{0} removed.', name));
}

/** The bundled backend reads the editor's secrets when it starts: a restart hands it the change. */
async function offerRestart(s: Services, done: string): Promise<void> {
  if (isServerMode(s.settings())) {
    await vscode.window.showInformationMessage(t('{0} A configured server does not receive editor secrets; use sm:// references there.', done));
    return;
  }
  const restart = t('Restart Backend');
  const choice = await vscode.window.showInformationMessage(t('{0} The backend uses it after a restart.', done), restart);
  if (choice === restart) await vscode.commands.executeCommand('productOs.restartBackend');
}
