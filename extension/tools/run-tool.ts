/**
 * Calling a tool from a command: availability and restricted mode first, then the input asked
 * from its schema, then the run under a cancellable progress notification whose Cancel cancels
 * the run in the backend. The result is offered when the run ends.
 */
import * as vscode from 'vscode';
import type { ProgressEventData, Run, RunEvent, StateEventData, ToolInfo } from '../../contracts/rest';
import { isTerminal } from '../run-status';
import { settle } from '../../contracts/client';
import type { Services } from '../services';
import { executorNeedsTrust, refusal } from '../trust';
import { showFailure, showJson } from '../ui';
import { askToolInput } from './ask-input';

const t = vscode.l10n.t;

export interface RunToolOptions {
  /** Input fields fixed by the command (not asked). */
  presets?: Record<string, unknown>;
  /** Custom presentation of a succeeded run; default: a notification with "Show Output". */
  onSucceeded?(run: Run): Promise<void>;
  /** Handles a failed run the tool knows how to explain better; true when it did. */
  onFailed?(run: Run): Promise<boolean>;
}

/** Looks the tool up and says plainly when it cannot run here (unavailable, restricted mode). */
export async function usableTool(s: Services, name: string): Promise<ToolInfo | undefined> {
  let tool: ToolInfo | undefined;
  try {
    tool = await s.tools.get(name);
  } catch (err) {
    await showFailure(err, name);
    return undefined;
  }
  if (!tool) {
    await vscode.window.showErrorMessage(t('The backend has no tool named {0}.', name));
    return undefined;
  }
  if (!tool.available) {
    await vscode.window.showWarningMessage(t('{0} is not available yet: {1}', tool.title, tool.unavailableReason ?? t('its backend part does not exist here')));
    return undefined;
  }
  if (!s.isTrusted() && executorNeedsTrust(tool.executor)) {
    const manage = t('Manage Workspace Trust');
    if ((await vscode.window.showWarningMessage(refusal(tool.title, t), manage)) === manage) await vscode.commands.executeCommand('workbench.trust.manage');
    return undefined;
  }
  return tool;
}

export async function runToolCommand(s: Services, name: string, opts: RunToolOptions = {}): Promise<Run | undefined> {
  const tool = await usableTool(s, name);
  if (!tool) return undefined;
  const input = await askToolInput(tool, opts.presets);
  if (!input) return undefined;
  return runWithProgress(s, tool, input, opts);
}

export async function runWithProgress(s: Services, tool: ToolInfo, input: Record<string, unknown>, opts: RunToolOptions = {}): Promise<Run | undefined> {
  let run: Run;
  try {
    run = await s.api.call('createRun', { body: { tool: tool.name, input } });
  } catch (err) {
    await showFailure(err, tool.title);
    return undefined;
  }
  s.log.info(`${tool.name}: run ${run.id} ${run.status}`);
  const final = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: tool.title, cancellable: true },
    (progress, token) => waitForRun(s, run, tool, progress, token),
  );
  await report(s, tool, final, opts);
  return final;
}

/**
 * Until the run ends: the backend's wait route says when (the one wait of the product), the
 * run's event stream only draws progress and offers the approval.
 */
async function waitForRun(s: Services, run: Run, tool: ToolInfo, progress: vscode.Progress<{ message?: string; increment?: number }>, token: vscode.CancellationToken): Promise<Run> {
  let shown = 0;
  const off = s.api.onRunEvents(run.id, (e: RunEvent) => {
    if (e.type === 'progress') {
      const d = e.data as ProgressEventData;
      const pct = d.total ? Math.max(0, Math.min(100, Math.round((100 * d.progress) / d.total))) : undefined;
      progress.report({ message: d.message ?? (pct !== undefined ? `${pct}%` : undefined), increment: pct !== undefined && pct > shown ? pct - shown : undefined });
      if (pct !== undefined) shown = Math.max(shown, pct);
    } else if (e.type === 'state') {
      const d = e.data as StateEventData;
      progress.report({ message: stateText(d.to) });
      if (d.to === 'awaiting_approval') void offerApproval(run, tool);
    }
  });
  const cancelSub = token.onCancellationRequested(async () => {
    progress.report({ message: t('Cancelling…') });
    try {
      await s.api.call('cancelRun', { params: { id: run.id } });
    } catch (err) {
      // It may have ended meanwhile: the wait below still answers with how it ended.
      s.log.warn(`cancel ${run.id}: ${(err as Error).message}`);
    }
  });
  try {
    return await settle((args, signal) => s.api.call('waitRun', args, signal), run);
  } catch (err) {
    s.log.warn(`waiting for ${run.id}: ${(err as Error).message}`);
    return run;
  } finally {
    off();
    cancelSub.dispose();
  }
}

async function offerApproval(run: Run, tool: ToolInfo): Promise<void> {
  const approve = t('Approve or Deny…');
  const pick = await vscode.window.showInformationMessage(t('{0} ({1} risk) is waiting for your approval.', tool.title, run.risk), approve);
  if (pick === approve) await vscode.commands.executeCommand('productOs.approvePendingRun', run.id);
}

function stateText(status: Run['status']): string {
  switch (status) {
    case 'queued':
      return t('Queued');
    case 'awaiting_approval':
      return t('Waiting for approval');
    case 'dispatching':
      return t('Starting');
    case 'running':
      return t('Running');
    case 'succeeded':
      return t('Succeeded');
    case 'failed':
      return t('Failed');
    case 'cancelled':
      return t('Cancelled');
    case 'timed_out':
      return t('Timed out');
  }
}

async function report(s: Services, tool: ToolInfo, run: Run, opts: RunToolOptions): Promise<void> {
  if (run.status === 'succeeded') {
    if (opts.onSucceeded) return opts.onSucceeded(run);
    const show = t('Show Output');
    if ((await vscode.window.showInformationMessage(t('{0} succeeded.', tool.title), show)) === show) await showJson(run.output);
    return;
  }
  if (run.status === 'cancelled') {
    await vscode.window.showInformationMessage(t('{0} was cancelled.', tool.title));
    return;
  }
  if (!isTerminal(run.status)) return;
  const detail = run.error ? `${run.error.code}: ${run.error.message}` : stateText(run.status);
  // The Output channel is where "Show Backend Log" leads: the failure must be there, not only
  // the dispatch line.
  s.log.error(`${tool.name}: run ${run.id} ${run.status}: ${detail}${run.error?.details !== undefined ? ` ${JSON.stringify(run.error.details)}` : ''}`);
  if (opts.onFailed && (await opts.onFailed(run))) return;
  const showRun = t('Show Run');
  const showLog = t('Show Backend Log');
  const pick = await vscode.window.showErrorMessage(t('{0} {1}: {2}', tool.title, stateText(run.status).toLowerCase(), detail), showRun, showLog);
  if (pick === showRun) await showRunDetail(s, run.id);
  if (pick === showLog) await vscode.commands.executeCommand('productOs.showBackendLog');
}

export async function showRunDetail(s: Services, id: string): Promise<void> {
  try {
    const run = await s.api.call('getRun', { params: { id } });
    await showJson(run);
  } catch (err) {
    await showFailure(err, t('Show Run'));
  }
}
