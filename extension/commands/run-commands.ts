/** Approve Pending Run…, and the Runs view's item actions (approve, deny, cancel, show). */
import * as vscode from 'vscode';
import type { Run, RunPage } from '../../contracts/rest';
import type { Services } from '../services';
import { showRunDetail } from '../tools/run-tool';
import { showFailure } from '../ui';

const t = vscode.l10n.t;

export function runIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string' && arg) return arg;
  const run = (arg as { run?: { id?: unknown } } | undefined)?.run;
  return typeof run?.id === 'string' ? run.id : undefined;
}

/** Approve Pending Run…: pick a waiting run (or the one given), look at it, approve or deny. */
export async function approvePendingRun(s: Services, arg?: unknown): Promise<void> {
  let run: Run | undefined;
  try {
    const id = runIdOf(arg);
    if (id) run = await s.api.call('getRun', { params: { id } });
    else {
      const page = await s.api.call('listRuns', { query: { status: 'awaiting_approval', limit: 100 } });
      if (page.runs.length === 0) {
        await vscode.window.showInformationMessage(t('No run is waiting for approval.'));
        return;
      }
      const picked = await vscode.window.showQuickPick(
        page.runs.map((r) => ({ label: r.tool, description: t('{0} risk, by {1}', r.risk, r.caller), detail: `${r.createdAt} · ${summarizeInput(r.input)}`, run: r })),
        { title: t('Approve Pending Run'), placeHolder: t('Pick a run waiting for approval'), matchOnDetail: true },
      );
      if (!picked) return;
      run = picked.run;
    }
  } catch (err) {
    return showFailure(err, t('Approve Pending Run'));
  }
  if (run.status !== 'awaiting_approval') {
    await vscode.window.showInformationMessage(t('Run {0} is {1}, not waiting for approval.', run.id, run.status));
    return;
  }
  const approve = t('Approve');
  const deny = t('Deny');
  const decision = await vscode.window.showWarningMessage(
    t('{0} ({1} risk) wants to run.', run.tool, run.risk),
    { modal: true, detail: JSON.stringify(run.input, null, 2) },
    approve,
    deny,
  );
  if (decision === approve) await decide(s, run, 'approve');
  else if (decision === deny) await decide(s, run, 'deny');
}

export async function decide(s: Services, run: Run | string, decision: 'approve' | 'deny'): Promise<void> {
  const id = typeof run === 'string' ? run : run.id;
  const reason = await vscode.window.showInputBox({
    title: decision === 'approve' ? t('Approve: reason (optional)') : t('Deny: reason (optional)'),
    prompt: t('Kept in the audit log with your decision.'),
    validateInput: (v) => (v.length > 2000 ? t('reason must be at most 2000 characters') : undefined),
  });
  if (reason === undefined) return;
  try {
    const body: { reason?: string; ifVersion?: number } = {};
    if (reason.trim()) body.reason = reason.trim();
    if (typeof run !== 'string') body.ifVersion = run.version;
    const result = await s.api.call(decision === 'approve' ? 'approveRun' : 'denyRun', { params: { id }, body });
    await vscode.window.showInformationMessage(decision === 'approve' ? t('Approved {0}: now {1}.', result.tool, result.status) : t('Denied {0}.', result.tool));
  } catch (err) {
    await showFailure(err, decision === 'approve' ? t('Approve') : t('Deny'));
  }
}

/** Deny from the Runs view: the tree node carries the run (and its version). */
export async function denyRun(s: Services, arg: unknown): Promise<void> {
  const run = (arg as { run?: Run } | undefined)?.run;
  const id = runIdOf(arg);
  if (run) await decide(s, run, 'deny');
  else if (id) await decide(s, id, 'deny');
}

export async function cancelRun(s: Services, arg: unknown): Promise<void> {
  const id = runIdOf(arg);
  if (!id) return;
  try {
    await s.api.call('cancelRun', { params: { id } });
  } catch (err) {
    await showFailure(err, t('Cancel Run'));
  }
}

export async function showRun(s: Services, arg: unknown): Promise<void> {
  const id = runIdOf(arg);
  if (id) await showRunDetail(s, id);
}

/** The shape of an input, one line: keys and short values (never long text). */
export function summarizeInput(input: unknown): string {
  if (typeof input !== 'object' || input === null) return '';
  return Object.entries(input as Record<string, unknown>)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? (v.length > 40 ? `${v.slice(0, 37)}…` : v) : typeof v === 'object' ? '{…}' : String(v)}`)
    .join(', ');
}
