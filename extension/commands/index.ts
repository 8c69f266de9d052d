/**
 * Every command the manifest contributes, registered at activation as a thin handler that
 * loads its module on first use (the table below is also what the unit test checks against
 * package.json).
 */
import * as vscode from 'vscode';
import type { Services } from '../services';
import { loadPanels, type PanelFocus, type PanelKind } from '../panel-loader';
import { showFailure } from '../ui';

type Handler = (s: Services, ...args: unknown[]) => unknown;

/** A tree node ({run} or {card}) or an explicit focus, as the panel's focus. */
export function focusOf(arg: unknown): PanelFocus | undefined {
  const a = arg as { run?: { id?: unknown }; card?: { key?: unknown }; runId?: unknown; cardKey?: unknown } | undefined;
  const runId = typeof a?.run?.id === 'string' ? a.run.id : typeof a?.runId === 'string' ? a.runId : undefined;
  const cardKey = typeof a?.card?.key === 'string' ? a.card.key : typeof a?.cardKey === 'string' ? a.cardKey : undefined;
  return runId || cardKey ? { ...(runId ? { runId } : {}), ...(cardKey ? { cardKey } : {}) } : undefined;
}

const openPanel =
  (kind: PanelKind): Handler =>
  async (s, arg) => {
    try {
      const panels = await loadPanels();
      await panels.openPanel(kind, { context: s.context, api: s.api, log: s.log }, focusOf(arg));
    } catch (err) {
      await showFailure(err, vscode.l10n.t('Open panel'));
    }
  };

const tools = () => import('./tool-commands');
const runs = () => import('./run-commands');
const backend = () => import('./backend-commands');
const serviceMap = () => import('./service-map-commands');
const cards = () => import('./card-commands');
const cardBranch = () => import('./card-branch');
const secrets = () => import('./secret-commands');
const deploy = () => import('./service-commands');

export const COMMANDS: Record<string, Handler> = {
  'productOs.open.kanban': openPanel('kanban'),
  'productOs.open.brain': openPanel('brain'),
  'productOs.open.insights': openPanel('insights'),
  'productOs.open.runs': openPanel('runs'),
  'productOs.open.serviceMap': openPanel('serviceMap'),
  'productOs.runCard': async (s, arg) => (await tools()).runCard(s, arg),
  'productOs.openCardDiff': async (s, arg) => (await cardBranch()).cardBranchCommand(s, arg, 'diff'),
  'productOs.checkOutCardBranch': async (s, arg) => (await cardBranch()).cardBranchCommand(s, arg, 'checkout'),
  'productOs.newCard': async (s) => (await cards()).newCard(s),
  'productOs.archiveCard': async (s, arg) => (await cards()).archiveCard(s, arg),
  'productOs.restoreCard': async (s, arg) => (await cards()).restoreCard(s, arg),
  'productOs.deployService': async (s, arg) => (await deploy()).deployService(s, arg),
  'productOs.serviceStatus': async (s) => (await tools()).serviceStatus(s),
  'productOs.rollbackService': async (s) => (await tools()).rollbackService(s),
  'productOs.tailLogs': async (s) => (await tools()).tailLogs(s),
  'productOs.rollbackToRevision': async (s, arg) => (await deploy()).rollbackToRevision(s, arg),
  'productOs.followServiceLogs': async (s, arg) => (await deploy()).followLogs(s, arg),
  'productOs.stopFollowingLogs': async () => (await deploy()).stopFollowingLogs(),
  'productOs.triageLogs': async (s) => (await tools()).triageLogs(s),
  'productOs.gpuReport': async (s) => (await tools()).gpuReport(s),
  'productOs.serviceMap': async (s) => (await tools()).serviceMap(s),
  'productOs.chooseServiceMapContainers': async (s) => (await serviceMap()).chooseServiceMapContainers(s),
  'productOs.approvePendingRun': async (s, arg) => (await runs()).approvePendingRun(s, arg),
  'productOs.approveRun': async (s, arg) => (await runs()).approvePendingRun(s, arg),
  'productOs.denyRun': async (s, arg) => (await runs()).denyRun(s, arg),
  'productOs.cancelRun': async (s, arg) => (await runs()).cancelRun(s, arg),
  'productOs.showRun': async (s, arg) => (await runs()).showRun(s, arg),
  'productOs.restartBackend': async (s) => (await backend()).restartBackend(s),
  'productOs.showBackendLog': (s) => s.log.show(true),
  'productOs.copyMcpConfig': async (s) => (await backend()).copyMcpConfig(s),
  'productOs.validateConfiguration': async (s) => (await backend()).validateConfiguration(s),
  'productOs.setServerToken': async (s) => (await backend()).setServerToken(s),
  'productOs.storeSecret': async (s) => (await secrets()).storeSecret(s),
  'productOs.removeSecret': async (s) => (await secrets()).removeSecret(s),
  'productOs.refreshRuns': async (s) => {
    try {
      await s.runs.refresh();
    } catch (err) {
      await showFailure(err, vscode.l10n.t('Refresh Runs'));
    }
  },
};

export function registerCommands(context: vscode.ExtensionContext, s: Services): void {
  for (const [id, handler] of Object.entries(COMMANDS)) {
    context.subscriptions.push(vscode.commands.registerCommand(id, (...args: unknown[]) => handler(s, ...args)));
  }
}
