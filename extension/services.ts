/**
 * The extension's long-lived objects, built once by activate() and handed to commands, views and
 * panels: the backend supervisor (bundled process, or a configured server), the HTTP client, the
 * gated API, the tool catalog and the live run list. Building them starts nothing: the backend
 * starts on the first request.
 */
import * as vscode from 'vscode';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { BackendApi } from './backend-api';
import { BackendClient, checkHealth } from './backend/client';
import { bundledLauncher, serverLauncher } from './backend/launcher';
import { SharedState, isProcessAlive } from './backend/shared-state';
import { Supervisor, type SupervisorState } from './backend/supervisor';
import { type Connection, systemClock } from './backend/types';
import { gatedApi } from './gated-api';
import { backendEnv, backendRuntimeEnv, isServerMode, readSettings, resolveServer, SERVER_TOKEN_SECRET, type Settings } from './settings';
import { ToolCatalog } from './tools/tool-catalog';
import { RunStore } from './views/run-store';
import { EditorSecrets } from './secrets/editor-secrets';
import { formatHandoff } from '../contracts/secrets-handoff';

export interface Services {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  /** Gated by restricted mode; what commands, views and panels use. */
  readonly api: BackendApi;
  readonly tools: ToolCatalog;
  readonly runs: RunStore;
  readonly onDidChangeState: vscode.Event<SupervisorState>;
  state(): SupervisorState;
  settings(): Settings;
  ensureReady(): Promise<Connection>;
  restart(): Promise<Connection>;
  isTrusted(): boolean;
  /** Rebuilds the supervisor after a change of mode or backend settings. */
  reconfigure(): Promise<void>;
  dispose(): Promise<void>;
}

export function createServices(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): Services {
  const settings = () => readSettings((k) => vscode.workspace.getConfiguration('productOs').get(k));
  const stateEmitter = new vscode.EventEmitter<SupervisorState>();
  const health = (c: Connection) => checkHealth(c, 5000);

  const makeSupervisor = (): Supervisor => {
    const s = settings();
    const launch = isServerMode(s)
      ? serverLauncher(
          () => resolveServer(s, async () => context.secrets.get(SERVER_TOKEN_SECRET), (f) => fs.readFile(f, 'utf8'), vscode.l10n.t),
          health,
        )
      : bundledLauncher({
          spec: async (token) => {
            const current = settings();
            const dataDir = context.globalStorageUri.fsPath;
            const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
            // The editor's stored secrets go to the backend on its stdin, never argv, env or disk.
            const secrets = await new EditorSecrets(context.secrets, context.globalState).all();
            return {
              command: process.execPath,
              args: [context.asAbsolutePath(path.join('dist', 'cli.js')), 'serve', '--host', '127.0.0.1', '--port', String(current.port), '--data', dataDir, '--secrets-stdin'],
              env: backendRuntimeEnv(backendEnv(process.env, current, token, folder), dataDir),
              cwd: folder ?? dataDir,
              readyTimeoutMs: current.readyTimeoutSeconds * 1000,
              stdin: formatHandoff(secrets),
            };
          },
          spawn: (command, args, options) => spawn(command, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true }),
          shared: new SharedState(path.join(context.globalStorageUri.fsPath, 'extension-backend.json')),
          health,
          isAlive: isProcessAlive,
          kill: (pid, signal) => process.kill(pid, signal),
          log,
          clock: systemClock,
          ownerPid: process.pid,
        });
    const sup = new Supervisor({ launch, health, clock: systemClock, log });
    sup.onDidChangeState((st) => stateEmitter.fire(st));
    return sup;
  };

  let supervisor = makeSupervisor();
  const client = new BackendClient({
    connect: () => supervisor.ensureReady(),
    timeoutMs: () => settings().requestTimeoutSeconds * 1000,
    log,
    onUnreachable: () => supervisor.reportUnreachable(),
    caller: 'vscode',
  });
  const tools = new ToolCatalog(client);
  const isTrusted = () => vscode.workspace.isTrusted;
  const api = gatedApi(client, tools, isTrusted, vscode.l10n.t);
  const runs = new RunStore(client);

  // A new backend (restart, another mode) has its own tool availability and run stream.
  stateEmitter.event((st) => {
    if (st.kind !== 'ready') {
      tools.invalidate();
      if (st.kind === 'failed' || st.kind === 'stopped') runs.stop();
    }
  });

  return {
    context,
    log,
    api,
    tools,
    runs,
    onDidChangeState: stateEmitter.event,
    state: () => supervisor.state,
    settings,
    ensureReady: () => supervisor.ensureReady(),
    restart: async () => {
      runs.stop();
      const conn = await supervisor.restart();
      return conn;
    },
    isTrusted,
    reconfigure: async () => {
      const old = supervisor;
      runs.reset();
      client.dispose();
      supervisor = makeSupervisor();
      await old.stop();
      stateEmitter.fire(supervisor.state);
    },
    dispose: async () => {
      runs.stop();
      client.dispose();
      await supervisor.stop();
      stateEmitter.dispose();
    },
  };
}
