/**
 * `npm start` (after scripts/start.sh has installed and built): opens a real editor with the
 * extension and a demo workspace whose board and brand profile are already there.
 *
 * - A local VS Code, VSCodium or Cursor (`code`, `codium`, `cursor` on PATH, and a display to
 *   open a window on): launched with `--extensionDevelopmentPath=<this repository>` on a profile
 *   of its own under .data/editor/<cli>/, so the extension's data folder (its globalStorage) is
 *   known and seeded before the window opens.
 * - Otherwise code-server (scripts/ensure-code-server.sh installs it), with the packaged .vsix
 *   installed, on 127.0.0.1 at a random free port, password protected; it prints the URL and
 *   the password and runs until Ctrl-C.
 *
 *   npm start                          pick as above
 *   npm start -- --editor code-server  (or code, codium, cursor; also PRODUCT_OS_EDITOR)
 *   npm start -- --auth none           code-server without a password (it only ever listens on 127.0.0.1)
 *   npm start -- --port 8080           code-server on that port instead of a free one
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  EXTENSION_ID,
  QUIET_SETTINGS,
  ROOT,
  editorProfile,
  ensureCodeServer,
  ensureVsix,
  extensionDataDir,
  installVsix,
  seedDemo,
  startCodeServer,
  writeUserSettings,
  type EditorProfile,
} from './code-server';

const DESKTOP_CLIS = ['code', 'codium', 'cursor'] as const;
type EditorKind = (typeof DESKTOP_CLIS)[number] | 'code-server';

const log = (line: string) => process.stderr.write(`${line}\n`);

function onPath(cli: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of process.platform === 'win32' ? ['.cmd', '.exe', ''] : ['']) {
      const file = path.join(dir, cli + ext);
      try {
        fs.accessSync(file, fs.constants.X_OK);
        if (fs.statSync(file).isFile()) return file;
      } catch {
        /* not here */
      }
    }
  }
  return undefined;
}

/** A desktop editor can open a window: not a headless Linux box (an editor's own terminal counts). */
function canOpenWindow(): boolean {
  if (process.platform !== 'linux') return true;
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY || process.env.VSCODE_IPC_HOOK_CLI);
}

function chooseEditor(asked: string | undefined): { kind: EditorKind; cli?: string } {
  if (asked) {
    if (asked === 'code-server') return { kind: 'code-server' };
    if (!(DESKTOP_CLIS as readonly string[]).includes(asked)) throw new Error(`--editor must be one of ${[...DESKTOP_CLIS, 'code-server'].join(', ')}, got "${asked}"`);
    const cli = onPath(asked);
    if (!cli) throw new Error(`--editor ${asked}: there is no \`${asked}\` on PATH`);
    return { kind: asked as EditorKind, cli };
  }
  if (canOpenWindow()) {
    for (const name of DESKTOP_CLIS) {
      const cli = onPath(name);
      if (cli) return { kind: name, cli };
    }
  }
  return { kind: 'code-server' };
}

function demoWorkspace(): string {
  const dir = path.join(ROOT, '.data', 'demo-workspace');
  fs.mkdirSync(dir, { recursive: true });
  const readme = path.join(dir, 'README.md');
  if (!fs.existsSync(readme)) {
    fs.writeFileSync(
      readme,
      [
        '# Product OS demo workspace',
        '',
        'Made by `npm start`. The board and the brand profile are in the extension\'s data folder.',
        '',
        '- Command palette (F1): **Product OS: Open Kanban Board**, **Open Company Brain**, **Open Insights**, **Open Runs**.',
        '- The Product OS icon in the activity bar has the Cards and Runs views.',
        '- **Product OS: Copy MCP Server Config** gives an `mcp.json` entry for Cursor, Claude Desktop or Cline.',
        '',
      ].join('\n'),
    );
  }
  return dir;
}

async function seed(profile: EditorProfile): Promise<void> {
  const dataDir = extensionDataDir(profile.userDataDir);
  const t0 = Date.now();
  const result = await seedDemo(dataDir);
  if (result.seeded) log(`demo board and brand profile ready in ${dataDir} (${Date.now() - t0} ms)`);
  else log(`the data folder ${dataDir} is in use by a running backend (an editor still open on it?); leaving it as it is`);
}

async function openDesktop(kind: EditorKind, cli: string): Promise<number> {
  const profile = editorProfile(path.join(ROOT, '.data', 'editor', kind));
  writeUserSettings(profile, QUIET_SETTINGS);
  await seed(profile);
  const workspace = demoWorkspace();
  const args = [
    '--user-data-dir', profile.userDataDir,
    '--extensions-dir', profile.extensionsDir,
    `--extensionDevelopmentPath=${ROOT}`,
    '--disable-workspace-trust',
    '--new-window',
    workspace,
  ];
  log(`opening ${kind} with ${EXTENSION_ID} from ${ROOT} on ${workspace}`);
  const child = spawn(cli, args, { stdio: 'inherit', detached: true, shell: process.platform === 'win32' });
  const code = await new Promise<number>((resolve) => {
    child.once('error', (err) => {
      log(`could not start ${cli}: ${err.message}`);
      resolve(1);
    });
    // The CLIs hand the window to the editor and return at once.
    child.once('exit', (c) => resolve(c ?? 0));
  });
  if (code === 0) log(`${kind} is open: F1, then "Product OS: Open Kanban Board". Its profile is in ${path.dirname(profile.userDataDir)}.`);
  return code;
}

async function openCodeServer(auth: 'none' | 'password', port: number | undefined): Promise<number> {
  let t0 = Date.now();
  const cs = await ensureCodeServer();
  const vsix = await ensureVsix();
  if (vsix.packaged) log(`packaged product-os.vsix in ${vsix.ms} ms`);
  const profile = editorProfile(path.join(ROOT, '.data', 'editor', 'code-server'));
  await installVsix(cs, profile);
  writeUserSettings(profile, QUIET_SETTINGS);
  await seed(profile);
  const workspace = demoWorkspace();
  log(`code-server and the extension ready in ${Date.now() - t0} ms`);
  t0 = Date.now();
  const logFile = path.join(path.dirname(profile.userDataDir), 'code-server.log');
  const out = fs.createWriteStream(logFile, { flags: 'w' });
  const server = await startCodeServer(cs, { profile, folder: workspace, auth, port, onLine: (l) => out.write(`${l}\n`) });
  const lines = [
    '',
    `  Product OS in VS Code (code-server), on ${workspace}:`,
    '',
    `    ${server.url}`,
    ...(server.password ? [`    password: ${server.password}`] : ['    (no password: it listens on 127.0.0.1 only)']),
    '',
    '  Open it in a browser on this machine (over SSH: ssh -L <port>:127.0.0.1:<port>). Then F1,',
    '  "Product OS: Open Kanban Board". Ctrl-C stops code-server and the backend.',
    `  code-server's log: ${logFile}`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping code-server`);
    void server.stop(10_000).then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  return new Promise<number>((resolve) =>
    server.process.once('exit', (code, signal) => {
      out.end();
      if (!stopping) log(`code-server exited (${signal ?? code}); its log: ${logFile}`);
      resolve(stopping ? 0 : (code ?? 1));
    }),
  );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { editor: { type: 'string' }, auth: { type: 'string' }, port: { type: 'string' } },
    allowPositionals: false,
  });
  const auth = values.auth ?? 'password';
  if (auth !== 'none' && auth !== 'password') throw new Error(`--auth must be "password" or "none", got "${auth}"`);
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new Error(`--port must be an integer from 0 to 65535, got "${values.port}"`);
  if (!fs.existsSync(path.join(ROOT, 'dist', 'extension.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm start does)');

  const choice = chooseEditor(values.editor ?? process.env.PRODUCT_OS_EDITOR);
  if (choice.kind !== 'code-server' && choice.cli) return openDesktop(choice.kind, choice.cli);
  const found = DESKTOP_CLIS.find((c) => onPath(c));
  if (found && !values.editor) log(`\`${found}\` is installed but there is no display to open a window on: using code-server instead`);
  return openCodeServer(auth, port);
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    log(`npm start: ${err.message}`);
    process.exit(1);
  },
);
