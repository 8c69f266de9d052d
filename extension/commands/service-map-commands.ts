/**
 * Choose Service Map Containers…: which containers the service map and GPU report may look
 * at, picked from the ones Docker runs here, kept in productOs.serviceMap.containers (the
 * bundled backend gets it as PRODUCT_OS_SERVICE_MAP_CONTAINERS). Until now the allowlist
 * could only be filled by writing to the database.
 */
import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import type { Services } from '../services';
import { isServerMode } from '../settings';

const t = vscode.l10n.t;

export interface RunningContainer {
  name: string;
  image: string;
  status: string;
}

const NAME = /^\/?[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** `docker ps -a` on this machine, without Product OS's own worker containers. */
export function dockerContainers(): Promise<RunningContainer[]> {
  return new Promise((resolve, reject) => {
    execFile('docker', ['ps', '-a', '--format', '{{.Names}}\t{{.Image}}\t{{.Status}}\t{{.Label "product-os.worker"}}'], { timeout: 5000 }, (err, stdout) => {
      if (err) return reject(err);
      resolve(
        stdout
          .split('\n')
          .map((l) => l.split('\t'))
          .filter((f) => f[0] && !f[3])
          .map(([name, image, status]) => ({ name, image, status })),
      );
    });
  });
}

export async function chooseServiceMapContainers(s: Services, list: () => Promise<RunningContainer[]> = dockerContainers): Promise<void> {
  if (isServerMode(s.settings())) {
    await vscode.window.showInformationMessage(t('The backend at productOs.server.url takes its service map containers from PRODUCT_OS_SERVICE_MAP_CONTAINERS where it runs: set it there (names or ids, comma-separated).'));
    return;
  }
  const current = s.settings().serviceMapContainers;
  let chosen: string[] | undefined;
  const running = await list().catch(() => undefined);
  if (running && running.length > 0) {
    const items = [
      ...running.map((c) => ({ label: c.name, description: c.image, detail: c.status, picked: current.includes(c.name) })),
      ...current.filter((n) => !running.some((c) => c.name === n)).map((n) => ({ label: n, description: t('not found in Docker now'), picked: true })),
    ];
    const picked = await vscode.window.showQuickPick(items, { title: t('Service Map containers'), placeHolder: t('Only the containers you pick are ever inspected'), canPickMany: true, ignoreFocusOut: true });
    chosen = picked?.map((p) => p.label);
  } else {
    const typed = await vscode.window.showInputBox({
      title: t('Service Map containers'),
      prompt: running ? t('Docker runs no containers here now: type their names or ids, comma-separated.') : t('Docker did not answer here: type the container names or ids, comma-separated.'),
      value: current.join(', '),
      ignoreFocusOut: true,
      validateInput: (v) => {
        const bad = v.split(',').map((x) => x.trim()).filter((x) => x && !NAME.test(x));
        return bad.length > 0 ? t('not a container name or id: {0}', bad.join(', ')) : undefined;
      },
    });
    chosen = typed?.split(',').map((x) => x.trim()).filter(Boolean);
  }
  if (chosen === undefined) return;
  // User settings (true): the containers belong to the machine, not to a workspace.
  await vscode.workspace.getConfiguration('productOs').update('serviceMap.containers', chosen, true);
  await vscode.window.showInformationMessage(
    chosen.length === 0 ? t('The Service Map will look at no containers.') : t('The Service Map will look at {0}. The backend restarts to use it.', chosen.join(', ')),
  );
}
