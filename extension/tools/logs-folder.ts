/**
 * When log triage has no folder to read: say which setting decides it (productOs.logs.folder,
 * not an environment variable the user never set) and offer the ways out: choose one of the
 * workspace's folders, create the folder, or open the setting. In server mode the folder is
 * the other backend's PRODUCT_OS_LOGS, so only that is said.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Run } from '../../contracts/rest';
import type { Services } from '../services';
import { isServerMode, logsFolderOf } from '../settings';

const t = vscode.l10n.t;

/** The bundled backend's logs folder when it does not exist (else undefined). */
export function missingLogsFolder(s: Services): string | undefined {
  if (isServerMode(s.settings())) return undefined;
  const dir = logsFolderOf(s.settings(), vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
  return dir && !fs.existsSync(dir) ? dir : undefined;
}

/** The folder a failed triage run could not find (its error names it), if that is why it failed. */
export function logsFolderOfFailure(run: Run): string | undefined {
  const details = run.error?.details as { logsDir?: unknown } | undefined;
  return run.error?.code === 'not_configured' && typeof details?.logsDir === 'string' ? details.logsDir : undefined;
}

export async function offerLogsFolder(s: Services, dir: string): Promise<void> {
  if (isServerMode(s.settings())) {
    const showLog = t('Show Backend Log');
    const pick = await vscode.window.showErrorMessage(t('Log triage cannot run: the backend at productOs.server.url has no logs folder {0}. Set PRODUCT_OS_LOGS where that backend runs.', dir), showLog);
    if (pick === showLog) await vscode.commands.executeCommand('productOs.showBackendLog');
    return;
  }
  const choose = t('Choose Folder…');
  const create = t('Create Folder');
  const settings = t('Open Settings');
  const pick = await vscode.window.showErrorMessage(
    t('Log triage reads the folder in the productOs.logs.folder setting, and {0} does not exist. Choose the folder your logs are in, or create this one.', dir),
    choose,
    create,
    settings,
  );
  if (pick === settings) await vscode.commands.executeCommand('workbench.action.openSettings', 'productOs.logs.folder');
  if (pick === create) {
    try {
      fs.mkdirSync(dir, { recursive: true });
      await vscode.window.showInformationMessage(t('Created {0}. Put log files in it and run Triage Logs again.', dir));
    } catch (err) {
      await vscode.window.showErrorMessage(t('Could not create {0}: {1}', dir, (err as Error).message));
    }
  }
  if (pick === choose) await chooseLogsFolder();
}

/** A quick pick of the workspace's folders (and their log-like subfolders), or any folder. */
export async function chooseLogsFolder(): Promise<void> {
  const roots = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  const items: Array<{ label: string; description?: string; dir?: string }> = [];
  for (const root of roots) {
    items.push({ label: path.basename(root), description: root, dir: root });
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(root, { withFileTypes: true });
    } catch {
      entries = [];
    }
    for (const e of entries) if (e.isDirectory() && /log/i.test(e.name)) items.push({ label: `${path.basename(root)}/${e.name}`, description: path.join(root, e.name), dir: path.join(root, e.name) });
  }
  items.push({ label: t('Browse…') });
  const picked = await vscode.window.showQuickPick(items, { title: t('Logs folder for log triage'), placeHolder: t('Where are your log files?') });
  if (!picked) return;
  let dir = picked.dir;
  if (!dir) {
    const chosen = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, title: t('Logs folder for log triage') });
    dir = chosen?.[0]?.fsPath;
  }
  if (!dir) return;
  // Relative to the workspace folder when inside it, so the setting travels with the workspace.
  const root = roots[0];
  const value = root && (dir === root || dir.startsWith(root + path.sep)) ? path.relative(root, dir) || '.' : dir;
  await vscode.workspace.getConfiguration('productOs').update('logs.folder', value, false); // false: the workspace's settings
}
