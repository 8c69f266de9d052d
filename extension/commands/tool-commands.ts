/**
 * The palette commands that call a tool: Run Card…, Service Status, Roll Back Service, Tail Logs,
 * Triage Logs, GPU Report, Service Map (Deploy Service… is in service-commands.ts, with the
 * Services view's commands). Loaded on first use.
 */
import * as vscode from 'vscode';
import type { Card, Run } from '../../contracts/rest';
import type { Services } from '../services';
import { runToolCommand } from '../tools/run-tool';
import { showFailure, showJson } from '../ui';
import { logsFolderOfFailure, missingLogsFolder, offerLogsFolder } from '../tools/logs-folder';
import { triageSummary, type TriageResult } from '../tools/triage-summary';
import { offerCardResult } from './card-branch';

const t = vscode.l10n.t;

/** Run Card…: the card from the tree item (or a key), else picked from the board. */
export async function runCard(s: Services, arg?: unknown): Promise<void> {
  const key = await cardKeyOrPick(s, arg, t('Run Card'));
  if (!key) return;
  await runToolCommand(s, 'cards.run', {
    presets: { card_key: key },
    onSucceeded: (run) => offerCardResult(run, (r) => showJson(r.output)),
  });
}

/** The card of a tree item (or a key), else one picked from the board; undefined when none. */
export async function cardKeyOrPick(s: Services, arg: unknown, title: string): Promise<string | undefined> {
  const key = cardKeyOf(arg);
  if (key) return key;
  let cards: Card[];
  try {
    cards = (await s.api.call('listCards', {})).cards;
  } catch (err) {
    await showFailure(err, title);
    return undefined;
  }
  if (cards.length === 0) {
    await vscode.window.showInformationMessage(t('The board has no cards yet.'));
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    cards.map((c) => ({ label: c.key, description: c.title, detail: c.lane, key: c.key })),
    { title, placeHolder: t('Pick a card'), matchOnDescription: true, ignoreFocusOut: true },
  );
  return picked?.key;
}

export function cardKeyOf(arg: unknown): string | undefined {
  if (typeof arg === 'string' && /^[A-Z][A-Z0-9]*-[0-9]+$/.test(arg)) return arg;
  const card = (arg as { card?: { key?: unknown } } | undefined)?.card;
  return typeof card?.key === 'string' ? card.key : undefined;
}

export const serviceStatus = (s: Services) =>
  runToolCommand(s, 'cloudrun.get_service_status', {
    onSucceeded: (run) => {
      const o = run.output as { service_name?: string; status?: string; latest_ready_revision?: string; service_url?: string };
      return offerOutput(run, t('{0} is {1} (revision {2}) at {3}', o.service_name ?? '?', o.status ?? '?', o.latest_ready_revision ?? '?', o.service_url ?? '?'));
    },
  });

export const rollbackService = (s: Services) =>
  runToolCommand(s, 'cloudrun.rollback_service', {
    onSucceeded: (run) => {
      const o = run.output as { service_name?: string; from_revision?: string; to_revision?: string };
      return offerOutput(run, t('{0} rolled back from {1} to {2}', o.service_name ?? '?', o.from_revision ?? '?', o.to_revision ?? '?'));
    },
  });

export const tailLogs = (s: Services) =>
  runToolCommand(s, 'logs.tail', {
    onSucceeded: async (run) => {
      const lines = (run.output as { lines?: Array<{ timestamp: string; severity?: string; text: string }> }).lines ?? [];
      const doc = await vscode.workspace.openTextDocument({ language: 'log', content: lines.map((l) => `${l.timestamp} ${l.severity ?? ''} ${l.text}`.replace(/\s+$/, '')).join('\n') });
      await vscode.window.showTextDocument(doc, { preview: true });
    },
  });

export async function triageLogs(s: Services): Promise<void> {
  // The bundled backend's folder is known here: say what is missing before starting a run.
  const missing = missingLogsFolder(s);
  if (missing) return offerLogsFolder(s, missing);
  await runToolCommand(s, 'ops.log_triage', {
    onSucceeded: (run) => offerOutput(run, triageSummary(run.output as TriageResult, t)),
    onFailed: async (run) => {
      const dir = logsFolderOfFailure(run);
      if (dir) await offerLogsFolder(s, dir);
      return dir !== undefined;
    },
  });
}

export const gpuReport = (s: Services) =>
  runToolCommand(s, 'ops.gpu_report', {
    onSucceeded: (run) => {
      const o = run.output as { gpus?: Array<{ index: number; name: string; memory_used_mb: number; memory_total_mb: number; utilization_pct: number }>; note?: string };
      const gpus = o.gpus ?? [];
      const text = gpus.length === 0 ? t('No GPU found. {0}', o.note ?? '') : gpus.map((g) => `#${g.index} ${g.name}: ${Math.round(g.memory_used_mb)}/${Math.round(g.memory_total_mb)} MiB, ${g.utilization_pct}%`).join('; ');
      return offerOutput(run, text);
    },
  });

export const serviceMap = (s: Services) =>
  runToolCommand(s, 'ops.service_map', {
    onSucceeded: async (run) => {
      const o = run.output as { nodes?: unknown[]; edges?: unknown[] };
      const open = t('Open Service Map');
      const show = t('Show Output');
      const choose = t('Choose Containers…');
      // An empty map is almost always an empty allowlist: say so, and offer to fill it.
      if ((o.nodes?.length ?? 0) === 0) {
        const picked = await vscode.window.showInformationMessage(t('The service map is empty: it only looks at the containers you allow. Choose them (productOs.serviceMap.containers)?'), choose);
        if (picked === choose) await vscode.commands.executeCommand('productOs.chooseServiceMapContainers');
        return;
      }
      const pick = await vscode.window.showInformationMessage(t('{0} services, {1} connections.', o.nodes?.length ?? 0, o.edges?.length ?? 0), open, show);
      if (pick === open) await vscode.commands.executeCommand('productOs.open.serviceMap');
      if (pick === show) await showJson(run.output);
    },
  });

async function offerOutput(run: Run, message: string): Promise<void> {
  const show = t('Show Output');
  if ((await vscode.window.showInformationMessage(message, show)) === show) await showJson(run.output);
}
