/**
 * What a finished Run Card offers: "Open diff" (the card branch against where the run started,
 * file by file, in the diff editor) and "Check out branch". Both go through VS Code's built-in
 * Git extension API (its `git:` documents and `checkout`), so no terminal is involved and the
 * user sees the same prompts as for any checkout (uncommitted changes block it, say so).
 */
import * as vscode from 'vscode';
import type { Run } from '../../contracts/rest';
import type { Services } from '../services';
import { showFailure } from '../ui';
import { cardKeyOrPick } from './tool-commands';

const t = vscode.l10n.t;

/** The part of a cards.run output these commands read. */
export interface CardRunResult {
  card_key: string;
  status?: string;
  branch?: string;
  base_sha?: string;
  commit_sha?: string;
  files_changed?: string[];
}

/** The few pieces of the Git extension's API (vscode.git, API version 1) used here. */
interface GitRepository {
  rootUri: vscode.Uri;
  checkout(treeish: string): Promise<void>;
}
interface GitApi {
  repositories: GitRepository[];
  toGitUri(uri: vscode.Uri, ref: string): vscode.Uri;
}

async function gitApi(): Promise<GitApi | undefined> {
  const ext = vscode.extensions.getExtension<{ getAPI(v: 1): GitApi }>('vscode.git');
  if (!ext) return undefined;
  const exports = ext.isActive ? ext.exports : await ext.activate();
  return exports.getAPI(1);
}

/** The repository the backend ran the card on: the workspace folder's (the first, when several). */
function repositoryOf(api: GitApi): GitRepository | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return api.repositories.find((r) => folder !== undefined && (folder === r.rootUri.fsPath || folder.startsWith(`${r.rootUri.fsPath}/`))) ?? api.repositories[0];
}

async function needGit(): Promise<{ api: GitApi; repo: GitRepository } | undefined> {
  const api = await gitApi();
  const repo = api && repositoryOf(api);
  if (!api || !repo) {
    await vscode.window.showWarningMessage(t('The Git extension is not available or sees no repository here; the card branch is in the repository the backend uses (PRODUCT_OS_WORKSPACE).'));
    return undefined;
  }
  return { api, repo };
}

/** Opens the diff of one changed file (picked when there are several), base → card branch. */
export async function openCardDiff(result: CardRunResult): Promise<void> {
  if (!result.branch || !result.base_sha) return;
  const git = await needGit();
  if (!git) return;
  const files = result.files_changed ?? [];
  if (files.length === 0) {
    await vscode.window.showInformationMessage(t('{0} changed no files.', result.card_key));
    return;
  }
  const file =
    files.length === 1
      ? files[0]
      : (await vscode.window.showQuickPick(files, { title: t('Open diff: {0} on {1}', result.card_key, result.branch), placeHolder: t('{0} files changed; pick one', files.length) }));
  if (!file) return;
  const uri = vscode.Uri.joinPath(git.repo.rootUri, file);
  await vscode.commands.executeCommand('vscode.diff', git.api.toGitUri(uri, result.base_sha), git.api.toGitUri(uri, result.branch), t('{0} ({1} ↔ {2})', file, result.base_sha.slice(0, 7), result.branch));
}

/** Checks the card branch out in the workspace's repository. */
export async function checkOutCardBranch(result: CardRunResult): Promise<void> {
  if (!result.branch) return;
  const git = await needGit();
  if (!git) return;
  try {
    await git.repo.checkout(result.branch);
    await vscode.window.showInformationMessage(t('Checked out {0}.', result.branch));
  } catch (err) {
    await showFailure(err, t('Check out {0}', result.branch));
  }
}

/** After a card run: its result, with "Open diff" and "Check out branch" when it committed. */
export async function offerCardResult(run: Run, showOutput: (run: Run) => Promise<void>): Promise<void> {
  const out = run.output as CardRunResult & { summary?: string };
  const message = t('{0}: {1} ({2} files changed). {3}', out.card_key, out.status ?? 'done', out.files_changed?.length ?? 0, out.summary ?? '');
  const diff = t('Open diff');
  const checkout = t('Check out branch');
  const show = t('Show Output');
  const actions = out.commit_sha && out.branch ? [diff, checkout, show] : [show];
  const picked = await vscode.window.showInformationMessage(message, ...actions);
  if (picked === diff) await openCardDiff(out);
  else if (picked === checkout) await checkOutCardBranch(out);
  else if (picked === show) await showOutput(run);
}

/** The newest finished cards.run of a card that committed, from the backend. */
export async function lastCardResult(s: Services, key: string): Promise<CardRunResult | undefined> {
  // By tool, not correlation id: a run from the palette carries none.
  const page = await s.api.call('listRuns', { query: { tool: 'cards.run', status: 'succeeded', limit: 100 } });
  const run = page.runs.find((r) => (r.output as CardRunResult | undefined)?.card_key === key && (r.output as CardRunResult).commit_sha);
  return run?.output as CardRunResult | undefined;
}

/** "Open Card Diff" / "Check Out Card Branch" from a card (drawer, Cards view) or the palette. */
export async function cardBranchCommand(s: Services, arg: unknown, action: 'diff' | 'checkout'): Promise<void> {
  const key = await cardKeyOrPick(s, arg, action === 'diff' ? t('Open Card Diff') : t('Check Out Card Branch'));
  if (!key) return;
  try {
    const result = await lastCardResult(s, key);
    if (!result) {
      await vscode.window.showInformationMessage(t('{0} has no committed agent run yet: run the card first.', key));
      return;
    }
    await (action === 'diff' ? openCardDiff(result) : checkOutCardBranch(result));
  } catch (err) {
    await showFailure(err, action === 'diff' ? t('Open diff') : t('Check out branch'));
  }
}
