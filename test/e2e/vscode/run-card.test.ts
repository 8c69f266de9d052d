/**
 * Run Card end to end in a real VS Code: the packaged product-os.vsix in code-server, pointed
 * (productOs.server.url) at a backend whose local model is scripted (test/helpers/
 * serve-with-scripted-llm.ts, test only) and whose workspace is a git repository. The card is
 * opened on the Kanban board and run from its drawer; the agent works in a real Docker worker;
 * the test sees the card reach the Review lane on the board, and the commit on card/<KEY>.
 * Needs Debian's chromium, code-server and Docker, like the other editor tests.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Card } from '../../../contracts/rest';
import {
  ROOT,
  codeServerInstall,
  editorProfile,
  ensureCodeServer,
  ensureVsix,
  hermeticEnv,
  installVsix,
  QUIET_SETTINGS,
  startCodeServer,
  writeUserSettings,
  type CodeServerInstall,
  type EditorProfile,
  type RunningCodeServer,
} from '../../../scripts/code-server';
import { ensureDockerAndWorkerImage } from '../../helpers/docker';
import { CHROMIUM, until, Workbench } from './workbench';

const screenshotsDir = path.join(ROOT, 'test', 'e2e', 'screenshots');
const say = (line: string) => process.stdout.write(`      ${line}\n`);
const git = (repo: string, ...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();

describe('Run Card in a real VS Code (code-server, .vsix installed, scripted model, real Docker)', function () {
  this.timeout(120_000);

  let dir: string;
  let repo: string;
  let cs: CodeServerInstall;
  let profile: EditorProfile;
  let server: RunningCodeServer | undefined;
  let wb: Workbench | undefined;
  let backendProc: ChildProcess | undefined;
  let backend: { url: string; token: string };
  let failed = false;
  const serverLog: string[] = [];
  const backendLog: string[] = [];

  async function api<T>(method: string, route: string, body?: unknown): Promise<T> {
    const res = await fetch(`${backend.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${backend.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }

  before(async function () {
    this.timeout(25 * 60_000);
    failed = true;
    if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install chromium (npm test installs it as root)`);
    ensureDockerAndWorkerImage();
    cs = codeServerInstall();
    if (!fs.existsSync(cs.entry) || !fs.existsSync(cs.node)) cs = await ensureCodeServer();
    const vsix = await ensureVsix();
    say(vsix.packaged ? `packaged product-os.vsix in ${vsix.ms} ms` : 'product-os.vsix is up to date');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'product-os-run-card-e2e-'));
    profile = editorProfile(dir);

    // The user's project: a git repository with one commit, opened as the workspace.
    repo = path.join(dir, 'workspace');
    fs.mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    fs.writeFileSync(path.join(repo, 'README.md'), '# shop\n');
    git(repo, 'add', '-A');
    git(repo, '-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', 'commit', '-q', '-m', 'initial');

    // What the model will answer, step by step: write a file, then done.
    const script = path.join(dir, 'replies.json');
    fs.writeFileSync(script, JSON.stringify([{ thought: 'add the changelog', tool: 'write_file', arguments: { path: 'CHANGELOG.md', content: '# Changelog\n\n- First entry.\n' } }, { done: true, summary: 'Added CHANGELOG.md with a first entry.' }]));
    const env = { ...hermeticEnv(), PRODUCT_OS_WORKSPACE: repo, PRODUCT_OS_TEST_LLM_SCRIPT: script };
    const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/helpers/serve-with-scripted-llm.ts'), path.join(dir, 'backend-data')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    backendProc = proc;
    readline.createInterface({ input: proc.stderr! }).on('line', (l) => backendLog.push(l));
    backend = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the scripted backend printed no ready line in 90 s:\n${backendLog.join('\n')}`)), 90_000);
      readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
        try {
          const m = JSON.parse(line) as { event?: string; url: string; token: string };
          if (m.event === 'ready') {
            clearTimeout(timer);
            resolve(m);
          }
        } catch {
          /* not the ready line */
        }
      });
      proc.once('exit', (code) => reject(new Error(`the scripted backend exited (${code}):\n${backendLog.join('\n')}`)));
    });
    const tokenFile = path.join(dir, 'token');
    fs.writeFileSync(tokenFile, backend.token, { mode: 0o600 });

    await installVsix(cs, profile);
    writeUserSettings(profile, QUIET_SETTINGS, { 'productOs.server.url': backend.url, 'productOs.server.tokenFile': tokenFile });
    server = await startCodeServer(cs, { profile, folder: repo, auth: 'none', env: hermeticEnv(), onLine: (l) => serverLog.push(l) });
    wb = await Workbench.open(server.url);
    fs.mkdirSync(screenshotsDir, { recursive: true });
    failed = false;
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });

  after(async function () {
    this.timeout(60_000);
    if (wb && failed) await wb.page.screenshot({ path: path.join(screenshotsDir, 'vscode-run-card-failure.png') }).catch(() => {});
    await wb?.close().catch(() => {});
    await server?.stop(15_000);
    if (backendProc && backendProc.exitCode === null) {
      const exited = new Promise((r) => backendProc!.once('exit', r));
      backendProc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (backendProc.exitCode === null) backendProc.kill('SIGKILL');
    }
    if (dir) {
      fs.writeFileSync(path.join(dir, 'code-server.log'), `${serverLog.join('\n')}\n`);
      fs.writeFileSync(path.join(dir, 'backend.log'), `${backendLog.join('\n')}\n`);
      if (failed || process.env.PRODUCT_OS_E2E_KEEP === '1') say(`kept ${dir} (profile, code-server.log, backend.log)`);
      else fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs a card from its drawer and sees it reach Review, with the commit on card/<KEY>', async function () {
    this.timeout(300_000);
    const created = await api<{ id: string }>('POST', '/api/runs', { tool: 'cards.create', input: { title: 'Start a changelog', description: 'Add CHANGELOG.md.', lane: 'ready' } });
    const done = await api<{ status: string; output: { card: Card } }>('GET', `/api/runs/${created.id}/wait?timeoutMs=30000`);
    assert.equal(done.status, 'succeeded');
    const key = done.output.card.key;

    await wb!.runCommand('Product OS: Open Kanban', 60_000);
    const board = await wb!.panel('kanban', 90_000);
    const cardEl = board.locator(`.lane[data-lane="ready"] .card[data-key="${key}"]`);
    await cardEl.waitFor({ state: 'visible', timeout: 30_000 });
    await cardEl.click({ timeout: 10_000 });
    const t0 = Date.now();
    await board.locator('.drawer vscode-button[data-action="run-card"]').click({ timeout: 10_000 });

    // The card moves to Review on the board (the board stream carries the run's card).
    await board.locator(`.lane[data-lane="review"] .card[data-key="${key}"]`).waitFor({ state: 'visible', timeout: 180_000 });
    say(`${key} reached Review on the board ${Date.now() - t0} ms after Run Card`);
    const card = await until('the card in Review in the backend', async () => {
      const c = await api<Card>('GET', `/api/cards/${key}`);
      return c.lane === 'review' ? c : undefined;
    });
    assert.equal(card.lane, 'review');
    const runs = await api<{ runs: Array<{ status: string; output: { status: string; commit_sha: string; files_changed: string[] } }> }>('GET', '/api/runs?tool=cards.run&limit=1');
    const out = runs.runs[0]!.output;
    assert.equal(out.status, 'completed');
    assert.deepEqual(out.files_changed, ['CHANGELOG.md']);
    assert.equal(git(repo, 'rev-parse', `card/${key}~1`), out.commit_sha);
    assert.equal(git(repo, 'show', `card/${key}:CHANGELOG.md`), '# Changelog\n\n- First entry.');
    assert.equal(git(repo, 'status', '--porcelain'), '', 'the working copy the editor has open is untouched');
    assert.equal(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD'), 'main');

    await wb!.screenshot(path.join(screenshotsDir, 'vscode-run-card.png'));
    const problems = wb!.takeProblems();
    assert.deepEqual(problems, [], `errors inside a webview:\n${problems.join('\n')}`);
  });
});
