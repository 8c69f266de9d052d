/**
 * The Services view's actions: roll back to a revision (the high-risk run waits for approval,
 * with progress and cancel like any palette run) and logs that follow, for a service or one
 * revision, in an output channel, until stopped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Run, RunStatus, ToolInfo } from '../../contracts/rest';
import { isTerminal } from '../run-status';
import type { Services } from '../services';
import { askToolInput } from '../tools/ask-input';
import { runWithProgress, showRunDetail, usableTool } from '../tools/run-tool';
import type { ServiceNode } from '../views/services-tree';

const t = vscode.l10n.t;

/** The window a follow starts with, and how long it follows at most (one logs.tail run for all of it). */
const WINDOW_S = 15 * 60;
const FOLLOW_FOR_S = 15 * 60;

const followers = new Map<string, { stop(): void }>();
/** One output channel per followed service or revision, kept for the window: following it again reuses it (no duplicate channels). */
const channels = new Map<string, vscode.OutputChannel>();

function isNode(arg: unknown): arg is ServiceNode {
  const n = arg as ServiceNode | undefined;
  return !!n && (n.kind === 'service' || n.kind === 'revision') && typeof n.service?.service_name === 'string';
}

/** The workspace folder's git repository (a path the local target reads commits from), if there is one. */
function workspaceRepo(): string | undefined {
  for (const f of vscode.workspace.workspaceFolders ?? []) {
    if (f.uri.scheme === 'file' && fs.existsSync(path.join(f.uri.fsPath, '.git'))) return f.uri.fsPath;
  }
  return undefined;
}

/** What the repository has checked out: its branch, or the commit when HEAD is detached; undefined when unreadable (a worktree, a packed oddity). */
export function checkedOut(repo: string): string | undefined {
  let head: string;
  try {
    head = fs.readFileSync(path.join(repo, '.git', 'HEAD'), 'utf8').trim();
  } catch {
    return undefined;
  }
  const branch = /^ref: refs\/heads\/(.+)$/.exec(head);
  if (branch) return branch[1];
  return /^[0-9a-f]{40,64}$/.test(head) ? head : undefined;
}

/** The tool with a default for one input field, offered (pre-filled) when it is asked. */
function withDefault(tool: ToolInfo, field: string, value: string): ToolInfo {
  const schema = (tool.inputSchema ?? {}) as { properties?: Record<string, object> };
  const prop = schema.properties?.[field];
  if (!prop) return tool;
  return { ...tool, inputSchema: { ...schema, properties: { ...schema.properties, [field]: { ...prop, default: value } } } };
}

/**
 * Deploy Service…: from the palette, the view's title bar or a service's menu. The repository is
 * the workspace's (its committed ref is built, never the working copy), the service the one
 * clicked; the rest is asked. Progress and Cancel are the run's.
 */
export async function deployService(s: Services, arg: unknown): Promise<void> {
  const tool = await usableTool(s, 'cloudrun.deploy_service');
  if (!tool) return;
  const repo = workspaceRepo();
  const presets: Record<string, unknown> = {
    ...(repo ? { repo } : {}),
    ...(isNode(arg) ? { service_name: arg.service.service_name, region: arg.service.region } : {}),
  };
  // The ref offered is what the workspace has checked out (its commit is built, not the working copy).
  const ref = repo ? checkedOut(repo) : undefined;
  const input = await askToolInput(ref ? withDefault(tool, 'ref', ref) : tool, presets);
  if (!input) return;
  const run = await runWithProgress(s, tool, input, {
    onSucceeded: async (r) => {
      const o = r.output as { service_url?: string; revision?: string; warnings?: string[] };
      for (const w of o.warnings ?? []) s.log.warn(`cloudrun.deploy_service: ${w}`);
      // After a rollback on Cloud Run, traffic stays pinned: the new revision serves nothing until it is reset.
      const pinned = o.warnings?.find((w) => PINNED.test(w));
      if (pinned) return offerTrafficToLatest(s, r, o.revision ?? '?', pinned);
      const open = t('Open');
      const pick = await vscode.window.showInformationMessage(t('Deployed revision {0}: {1}', o.revision ?? '?', o.service_url ?? ''), ...(o.service_url ? [open] : []));
      if (pick === open && o.service_url) await vscode.env.openExternal(vscode.Uri.parse(o.service_url));
    },
    onFailed: (r) => offerFailedRevisionLogs(s, r),
  });
  if (run) await vscode.commands.executeCommand('productOs.refreshServices');
}

/**
 * A deploy whose new revision started but never became healthy names that revision in its
 * error's details (both targets): its logs are the next step, so they are offered beside the
 * error. Other failures keep the usual message.
 */
async function offerFailedRevisionLogs(s: Services, run: Run): Promise<boolean> {
  const details = run.error?.details as { revision?: unknown } | undefined;
  const i = run.input as { service_name?: string; region?: string };
  if (typeof details?.revision !== 'string' || !i.service_name || !i.region) return false;
  const logs = t('Show Revision Logs');
  const showRun = t('Show Run');
  const pick = await vscode.window.showErrorMessage(t('Deploy failed: {0}', run.error?.message ?? run.status), logs, showRun);
  if (pick === logs) await followLogsOf(s, { service: i.service_name, region: i.region, revision: details.revision });
  if (pick === showRun) await showRunDetail(s, run.id);
  return true;
}

/** The deploy warning of a target whose traffic is pinned by an earlier rollback (backend/deploy/gcp/target.ts). */
const PINNED = /serves no traffic/;

/** Offers to send the traffic to the revision just deployed: a rollback to "latest", high risk like any rollback (it waits for approval). */
async function offerTrafficToLatest(s: Services, deployRun: Run, revision: string, warning: string): Promise<void> {
  const reset = t('Send Traffic to Latest');
  if ((await vscode.window.showWarningMessage(t('Deployed revision {0}, but traffic stays pinned by an earlier rollback: {1}', revision, warning), reset)) !== reset) return;
  const tool = await usableTool(s, 'cloudrun.rollback_service');
  if (!tool) return;
  const i = deployRun.input as { service_name?: string; region?: string; env?: string };
  const input = await askToolInput(tool, {
    service_name: i.service_name,
    region: i.region,
    env: i.env,
    to_revision: 'latest',
    reason: t('send traffic to the latest revision ({0}) after a deploy', revision),
  });
  if (input) await runWithProgress(s, tool, input);
  await vscode.commands.executeCommand('productOs.refreshServices');
}

export async function rollbackToRevision(s: Services, arg: unknown): Promise<void> {
  const tool = await usableTool(s, 'cloudrun.rollback_service');
  if (!tool) return;
  const presets: Record<string, unknown> = isNode(arg)
    ? { service_name: arg.service.service_name, region: arg.service.region, ...(arg.kind === 'revision' ? { to_revision: arg.revision.name } : {}) }
    : {};
  const input = await askToolInput(tool, presets);
  if (!input) return;
  await runWithProgress(s, tool, input);
}

export async function followLogs(s: Services, arg: unknown): Promise<void> {
  if (!isNode(arg)) {
    await vscode.commands.executeCommand('productOs.tailLogs');
    return;
  }
  await followLogsOf(s, { service: arg.service.service_name, region: arg.service.region, ...(arg.kind === 'revision' ? { revision: arg.revision.name } : {}) });
}

/** A log event of a followed logs.tail run: the line's text, with its time and severity as fields (backend/tools/deploy.ts). */
interface FollowedLine {
  message?: unknown;
  timestamp?: unknown;
  severity?: unknown;
}

/**
 * Logs that follow, for a service or one of its revisions, in an output channel of their own:
 * one logs.tail run with follow (the window's lines, then each new one, as run log events),
 * not a run per poll. Stop Following cancels that run; it ends by itself after FOLLOW_FOR_S.
 */
async function followLogsOf(s: Services, of: { service: string; region: string; revision?: string }): Promise<void> {
  const revision = of.revision;
  const key = `${of.region}/${of.service}${revision ? `/${revision}` : ''}`;
  followers.get(key)?.stop();
  let channel = channels.get(key);
  if (channel) channel.clear(); // the window is read again from its start: no line twice
  else {
    channel = vscode.window.createOutputChannel(t('Product OS logs: {0}', revision ?? of.service), 'log');
    channels.set(key, channel);
  }
  const out = channel;
  out.show(true);
  let run: Run;
  try {
    run = await s.api.call('createRun', {
      body: {
        tool: 'logs.tail',
        input: { scope: 'service', service_name: of.service, region: of.region, ...(revision ? { revision } : {}), limit: 500, since_seconds: WINDOW_S, follow: true, follow_seconds: FOLLOW_FOR_S },
      },
    });
  } catch (err) {
    out.appendLine(t('Cannot read the logs: {0}', (err as Error).message));
    return;
  }
  let stopped = false;
  // The event stream replays from the start after a reconnect: events already shown are skipped by id.
  let lastEvent = 0;
  let unsubscribe = () => {};
  const stop = (cancel: boolean) => {
    if (stopped) return;
    stopped = true;
    unsubscribe();
    if (followers.get(key)?.stop === stopNow) followers.delete(key);
    if (cancel) void s.api.call('cancelRun', { params: { id: run.id } }).catch(() => undefined);
    out.appendLine(t('— stopped following —'));
  };
  const stopNow = () => stop(true);
  followers.get(key)?.stop(); // a second Follow of the same logs started while this one was being created
  followers.set(key, { stop: stopNow });
  unsubscribe = s.api.onRunEvents(run.id, (e) => {
    if (stopped || e.id <= lastEvent) return;
    lastEvent = e.id;
    if (e.type === 'log') {
      const l = e.data as FollowedLine;
      const text = typeof l.message === 'string' ? l.message.replace(/\s+$/, '') : '';
      out.appendLine([l.timestamp, l.severity, text].filter((x) => typeof x === 'string' && x !== '').join(' '));
    } else if (e.type === 'state') {
      const to = (e.data as { to?: RunStatus }).to;
      if (!to || !isTerminal(to)) return;
      // Ended on the backend (its time was up, or it failed): say why when it failed.
      if (to === 'failed' || to === 'timed_out') {
        void s.api
          .call('getRun', { params: { id: run.id } })
          .then((r) => out.appendLine(t('Cannot read the logs: {0}', r.error?.message ?? r.status)))
          .catch(() => undefined);
      }
      stop(false);
    }
  });
  const stopLabel = t('Stop Following');
  void vscode.window.showInformationMessage(t('Following the logs of {0}.', revision ?? of.service), stopLabel).then((pick) => {
    if (pick === stopLabel) stopNow();
  });
}

export function stopFollowingLogs(): void {
  for (const f of [...followers.values()]) f.stop();
}
