/**
 * End to end in a real VS Code: the packaged product-os.vsix installed into code-server (run on
 * the Node 24 of test/tools), the demo board and brand profile seeded into the folder the
 * extension's backend uses, and the workbench driven in headless Chromium. From the command
 * palette it validates the configuration, copies the MCP server config (whose URL and token
 * must match the backend the extension started) and shows the backend log; it opens every panel;
 * drags a card to another lane and reads it back from the backend; edits and saves the brand
 * profile, which waits for approval (medium-risk tools need approval with
 * productOs.approvals.mediumRisk = "approval"; the registry's only high-risk tool,
 * cloudrun.rollback_service, has no executor yet); approves that run from the Runs panel while
 * its live log lines arrive; and fails on any console error, uncaught exception or CSP violation
 * inside a webview. A screenshot of each panel goes to test/e2e/screenshots/ (git-ignored).
 *
 * Needs Debian's chromium and code-server (scripts/ensure-code-server.sh, which this runs when
 * code-server is missing). The .vsix is packaged (`npm run package`) when it is missing or older
 * than the sources. PRODUCT_OS_E2E_KEEP=1 keeps the scratch folder (profile, code-server log).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import type { BrandVersion, Card, LogLine, Run, RunPage } from '../../../contracts/rest';
import {
  ROOT,
  codeServerInstall,
  editorProfile,
  ensureCodeServer,
  ensureVsix,
  extensionDataDir,
  hermeticEnv,
  installVsix,
  openProfileToServerUser,
  processAlive,
  QUIET_SETTINGS,
  readBackendRecord,
  seedDemo,
  startCodeServer,
  writeUserSettings,
  type BackendRecord,
  type CodeServerInstall,
  type EditorProfile,
  type RunningCodeServer,
} from '../../../scripts/code-server';
import { CHROMIUM, until, Workbench } from './workbench';

const screenshotsDir = path.join(ROOT, 'test', 'e2e', 'screenshots');
const shot = (name: string) => path.join(screenshotsDir, `vscode-${name}.png`);

const say = (line: string) => process.stdout.write(`      ${line}\n`);

describe('Product OS in a real VS Code (code-server, .vsix installed)', function () {
  this.timeout(120_000);

  let dir: string;
  let cs: CodeServerInstall;
  let profile: EditorProfile;
  let server: RunningCodeServer | undefined;
  let wb: Workbench | undefined;
  let backend: BackendRecord | undefined;
  let failed = false;
  const serverLog: string[] = [];

  async function api<T>(method: string, route: string, body?: unknown): Promise<T> {
    backend ??= await until('the extension to record its backend', () => readBackendRecord(profile.userDataDir), 10_000);
    const res = await fetch(`${backend.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${backend.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }

  /** Opens a panel from the palette and waits for its content. */
  async function openPanel(title: string, kind: 'kanban' | 'brain' | 'insights' | 'runs' | 'serviceMap', ready: string): Promise<Frame> {
    await wb!.runCommand(title);
    const frame = await wb!.panel(kind, 45_000);
    await frame.locator(ready).first().waitFor({ state: 'visible', timeout: 30_000 });
    return frame;
  }

  /**
   * Waits until the panel shows exactly the backend's view of `tools`: the "missing" list naming
   * exactly those GET /api/tools says are unavailable, and each run button (in `buttons`)
   * enabled if and only if its tool is available. Before the panel has its tool list every
   * button is disabled; a panel stuck on the missing-tools screen fails here.
   */
  async function assertToolsAsBackendSays(frame: Frame, tools: string[], buttons: Record<string, string>): Promise<void> {
    const listed = (await api<{ tools: Array<{ name: string; available: boolean }> }>('GET', '/api/tools')).tools;
    const available = new Map(tools.map((n) => [n, listed.find((t) => t.name === n)?.available === true]));
    const missing = tools.filter((n) => !available.get(n)).sort();
    const withButton = Object.keys(buttons);
    let seen = 'nothing yet';
    try {
      await until(`the panel to show the tools' availability as GET /api/tools does: ${JSON.stringify(Object.fromEntries(available))}`, async () => {
        const shown = (await frame.locator('[data-role="missing"] li code').allInnerTexts()).sort();
        const enabled = await Promise.all(withButton.map(async (n) => (await frame.locator(`${buttons[n]}:not([disabled])`).count()) > 0));
        seen = JSON.stringify({ missing: shown, enabled: Object.fromEntries(withButton.map((n, i) => [n, enabled[i]])) });
        return JSON.stringify(shown) === JSON.stringify(missing) && withButton.every((n, i) => enabled[i] === available.get(n)) ? true : undefined;
      }, 30_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}; the panel showed ${seen}`);
    }
  }

  function assertNoWebviewProblems(): void {
    const problems = wb!.takeProblems();
    assert.deepEqual(problems, [], `errors inside a webview:\n${problems.join('\n')}`);
  }

  before(async function () {
    this.timeout(25 * 60_000);
    failed = true; // until the editor is up: keep what there is to look at
    if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install chromium (npm test installs it as root)`);
    let t0 = Date.now();
    cs = codeServerInstall();
    if (!fs.existsSync(cs.entry) || !fs.existsSync(cs.node)) {
      cs = await ensureCodeServer();
      say(`installed code-server in ${Date.now() - t0} ms`);
    }
    const vsix = await ensureVsix();
    say(vsix.packaged ? `packaged product-os.vsix in ${vsix.ms} ms` : 'product-os.vsix is up to date');
    fs.rmSync(shot('failure'), { force: true });

    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'product-os-vscode-e2e-'));
    profile = editorProfile(dir);
    const workspace = path.join(dir, 'workspace');
    fs.mkdirSync(workspace, { recursive: true });
    fs.writeFileSync(path.join(workspace, 'README.md'), '# Demo workspace\n\nOpened by the Product OS editor end-to-end test.\n');
    // The extension points log triage at the workspace's logs folder; a workspace that has one
    // validates clean (a missing one is reported as a configuration problem, rightly).
    fs.mkdirSync(path.join(workspace, 'logs'));

    t0 = Date.now();
    await installVsix(cs, profile);
    openProfileToServerUser(dir, profile);
    say(`code-server --install-extension product-os.vsix: ${Date.now() - t0} ms`);
    writeUserSettings(profile, QUIET_SETTINGS, { 'productOs.approvals.mediumRisk': 'approval' });
    t0 = Date.now();
    const env = hermeticEnv();
    const seeded = await seedDemo(extensionDataDir(profile.userDataDir), { env });
    assert.ok(seeded.seeded, seeded.detail);
    say(`demo board and brand profile seeded in ${Date.now() - t0} ms`);

    t0 = Date.now();
    server = await startCodeServer(cs, { profile, folder: workspace, auth: 'none', env, onLine: (l) => serverLog.push(l) });
    wb = await Workbench.open(server.url);
    say(`code-server at ${server.origin}, workbench shown in ${Date.now() - t0} ms`);
    fs.mkdirSync(screenshotsDir, { recursive: true });
    failed = false;
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });

  after(async function () {
    this.timeout(60_000);
    if (wb && failed) {
      await wb.page.screenshot({ path: shot('failure') }).catch(() => {});
      if (wb.workbenchErrors.length > 0) say(`the workbench page logged (not failed on): ${wb.workbenchErrors.slice(0, 10).join(' | ')}`);
    }
    await wb?.close().catch(() => {});
    await server?.stop(15_000);
    if (dir) {
      fs.writeFileSync(path.join(dir, 'code-server.log'), `${serverLog.join('\n')}\n`);
      if (failed || process.env.PRODUCT_OS_E2E_KEEP === '1') say(`kept ${dir} (profile, code-server.log)`);
      else fs.rmSync(dir, { recursive: true, force: true });
    }
    // code-server's process group holds the backend the extension started; nothing may be left.
    if (backend && processAlive(backend.pid)) {
      process.kill(backend.pid, 'SIGKILL');
      throw new Error(`the backend (pid ${backend.pid}) outlived code-server`);
    }
  });

  it('runs palette commands: Validate Configuration starts the backend, Copy MCP Server Config, Show Backend Log', async function () {
    this.timeout(180_000);
    const t0 = Date.now();
    await wb!.runCommand('Product OS: Validate Configuration');
    const summary = await wb!.notification(/Configuration is valid|Configuration problems/, 120_000);
    say(`first command to a validated backend: ${Date.now() - t0} ms (${summary.split('\n')[0]})`);
    assert.match(summary, /Configuration is valid/);
    backend = await until('the extension to record its backend', () => readBackendRecord(profile.userDataDir), 10_000);
    assert.match(backend.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${backend.url}/health`, { headers: { authorization: `Bearer ${backend.token}` }, signal: AbortSignal.timeout(5000) });
    assert.equal(health.status, 200);
    // The .vsix carries this platform's PostgreSQL: the embedded default store is that server, not PGlite.
    assert.equal(((await health.json()) as { store: string }).store, 'postgres');

    await wb!.clearNotifications();
    await wb!.runCommand('Product OS: Copy MCP Server Config');
    await wb!.pick(/VS Code \(\.vscode\/mcp\.json\)/);
    await wb!.notification(/MCP server config copied/);
    const copied = await wb!.page.evaluate(() => navigator.clipboard.readText());
    const config = JSON.parse(copied) as Record<string, unknown>;
    const text = JSON.stringify(config);
    assert.ok(text.includes(backend.mcpUrl), `the copied config names ${backend.mcpUrl}: ${text.replace(backend.token, '<token>')}`);
    assert.ok(text.includes(backend.token), 'the copied config carries the backend token');

    await wb!.runCommand('Product OS: Show Backend Log');
    const output = wb!.page.locator('.part.panel');
    await output.waitFor({ state: 'visible', timeout: 15_000 });
    // The Output panel is a Monaco editor (spaces come as no-break spaces); Validate Configuration
    // wrote the backend's report into the "Product OS" channel, the medium-risk setting among it.
    await until(
      'the "Product OS" channel in the Output panel',
      async () => ((await output.innerText({ timeout: 5000 })).replace(/\u00a0/g, ' ').includes('PRODUCT_OS_') ? true : undefined),
      15_000,
    );
    await wb!.screenshot(shot('backend-log'));
    await wb!.runCommand('View: Hide Panel');
    assertNoWebviewProblems();
  });

  it('opens every panel from the palette, without errors inside the webviews', async function () {
    this.timeout(240_000);
    const panels: Array<[title: string, kind: 'kanban' | 'brain' | 'insights' | 'runs' | 'serviceMap', ready: string]> = [
      ['Product OS: Open Kanban Board', 'kanban', '.card[data-key="PO-1"]'],
      ['Product OS: Open Company Brain', 'brain', 'vscode-textfield[data-pointer="/name"]'],
      ['Product OS: Open Insights', 'insights', 'h1:has-text("Insights")'],
      ['Product OS: Open Runs', 'runs', '.vlist-row'],
      ['Product OS: Open Service Map', 'serviceMap', 'h1:has-text("Service Map")'],
    ];
    for (const [title, kind, ready] of panels) {
      const t0 = Date.now();
      const frame = await openPanel(title, kind, ready);
      // Insights and the Service Map are ready when they show what the backend says of their
      // tools: a "missing tools" screen is right only for the tools the backend lists as missing.
      if (kind === 'insights') {
        const run = ['analytics.funnel_summary', 'analytics.top_drivers', 'analytics.anomaly_detect'];
        await assertToolsAsBackendSays(frame, [...run, 'analytics.write_insight', 'marketing.generate_channel_posts'], Object.fromEntries(run.map((n) => [n, `vscode-button[data-action="run-${n}"]`])));
      }
      if (kind === 'serviceMap') await assertToolsAsBackendSays(frame, ['ops.service_map'], { 'ops.service_map': 'vscode-button[data-action="run"]' });
      say(`${kind}: command to content in ${Date.now() - t0} ms`);
      await wb!.page.waitForTimeout(300); // let fonts and charts settle for the picture
      await wb!.screenshot(shot(kind));
      assertNoWebviewProblems();
    }
    const board = await openPanel('Product OS: Open Kanban Board', 'kanban', '.card[data-key="PO-1"]');
    assert.equal(await board.locator('.card').count(), 7, 'the demo board has 7 cards');
  });

  it('drags a card to another lane, and the backend has it there', async function () {
    const before = await api<Card>('GET', '/api/cards/PO-1');
    assert.equal(before.lane, 'backlog');
    const board = await openPanel('Product OS: Open Kanban Board', 'kanban', '.card[data-key="PO-1"]');
    await board.dragAndDrop('.card[data-key="PO-1"]', '.lane-list[data-lane="review"]', { targetPosition: { x: 40, y: 8 }, timeout: 15_000 });
    await board.locator('.lane[data-lane="review"] .card[data-key="PO-1"]:not(.saving)').waitFor({ state: 'visible', timeout: 15_000 });
    const after = await until('PO-1 in the review lane, as the backend has it', async () => {
      const card = await api<Card>('GET', '/api/cards/PO-1');
      return card.lane === 'review' ? card : undefined;
    });
    assert.equal(after.version, before.version + 1);
    await wb!.screenshot(shot('kanban-after-drag'));
    assertNoWebviewProblems();
  });

  it('keeps two windows in step: a card moved in one moves in the other (board and Cards view); creates, edits and archives a card', async function () {
    this.timeout(300_000);
    const LANE_NAMES: Record<string, string> = { backlog: 'Backlog', ready: 'Ready', in_progress: 'In progress', review: 'Review', done: 'Done' };
    // Opening the board starts the backend when no earlier step has.
    const boardOne = await openPanel('Product OS: Open Kanban Board', 'kanban', '.card[data-key="PO-2"]');
    const before = await api<Card>('GET', '/api/cards/PO-2');
    const target = before.lane === 'done' ? 'ready' : 'done';

    // A second editor window on the same folder: its extension host shares the one backend.
    const second = await Workbench.open(server!.url);
    try {
      const boardTwo = await (async () => {
        await second.runCommand('Product OS: Open Kanban Board', 60_000);
        const frame = await second.panel('kanban', 60_000);
        await frame.locator('.card[data-key="PO-2"]').waitFor({ state: 'visible', timeout: 60_000 });
        return frame;
      })();
      await second.runCommand('Product OS: Focus on Cards View');
      const cardsView = second.page.locator('.part.sidebar .monaco-list-row');
      await cardsView.filter({ hasText: 'PO-2 ' }).first().waitFor({ state: 'visible', timeout: 30_000 });
      /** The lane the Cards view shows a card under: the nearest lane row above it. */
      const treeLaneOf = async (key: string): Promise<string | undefined> => {
        const rows = await cardsView.allInnerTexts();
        const at = rows.findIndex((r) => r.startsWith(`${key} `));
        for (let i = at - 1; i >= 0; i--) {
          // A lane row reads "<name><count>"; card rows start with their key.
          const text = rows[i].trim();
          const lane = /^[A-Z][A-Z0-9]*-\d+ /.test(text) ? undefined : Object.values(LANE_NAMES).find((n) => text.toLowerCase().startsWith(n.toLowerCase()));
          if (lane) return lane;
        }
        return undefined;
      };
      const laneBefore = await treeLaneOf('PO-2');
      assert.equal(laneBefore, LANE_NAMES[before.lane], `the Cards view shows PO-2 under its lane (rows: ${JSON.stringify(await cardsView.allInnerTexts())})`);

      await boardOne.dragAndDrop('.card[data-key="PO-2"]', `.lane-list[data-lane="${target}"]`, { targetPosition: { x: 40, y: 8 }, timeout: 15_000 });
      const moved = await until(`PO-2 in ${target}, as the backend has it`, async () => {
        const card = await api<Card>('GET', '/api/cards/PO-2');
        return card.lane === target ? card : undefined;
      });
      const t0 = Date.now();
      await boardTwo.locator(`.lane[data-lane="${target}"] .card[data-key="PO-2"]`).waitFor({ state: 'visible', timeout: 10_000 });
      const boardMs = Date.now() - t0;
      await until('the second window\'s Cards view to show PO-2 moved', async () => ((await treeLaneOf('PO-2')) === LANE_NAMES[target] ? true : undefined), 10_000);
      const treeMs = Date.now() - t0;
      say(`a move in one window reached the other: board ${boardMs} ms, Cards view ${treeMs} ms after the backend had it`);
      await second.screenshot(shot('second-window-after-move'));

      // The move is a run: in the card's history with its run, and in the audit log.
      const history = await api<{ events: Array<{ type: string; runId: string | null; data: { to?: string } }>; runs: Run[] }>('GET', '/api/cards/PO-2/history');
      const move = history.events.filter((e) => e.type === 'moved').at(-1)!;
      assert.equal(move.data.to, target);
      const moveRun = history.runs.find((r) => r.id === move.runId);
      assert.equal(moveRun?.tool, 'cards.move');
      assert.equal(moveRun?.status, 'succeeded');
      assert.equal(moved.version, before.version + 1);
      const audited = await api<RunPage>('GET', `/api/runs?tool=cards.move&limit=50`);
      assert.ok(audited.runs.some((r) => r.id === move.runId), 'the move is a stored, audited run');
      assert.deepEqual(second.takeProblems(), []);
    } finally {
      await second.close();
    }

    // Create a card with the lane's quick add, edit it in the drawer, archive it.
    await boardOne.locator('.lane[data-lane="backlog"] [data-action="quick-add"]').click({ timeout: 10_000 });
    const titleBox = boardOne.locator('.quick-add[data-lane="backlog"] vscode-textfield input');
    await titleBox.fill('Plan the launch week');
    await titleBox.press('Enter');
    const created = await until('the new card in the backend', async () => (await api<{ cards: Card[] }>('GET', '/api/cards?lane=backlog')).cards.find((c) => c.title === 'Plan the launch week'));
    const cardEl = boardOne.locator(`.card[data-key="${created.key}"]`);
    await cardEl.waitFor({ state: 'visible', timeout: 10_000 });
    await cardEl.click({ timeout: 10_000 });
    const title = boardOne.locator('.drawer [data-field="title"] input');
    await title.fill('Plan the launch week (edited)');
    await boardOne.locator('vscode-button[data-action="save-card"]').click({ timeout: 10_000 });
    await until('the edit in the backend', async () => ((await api<Card>('GET', `/api/cards/${created.key}`)).title === 'Plan the launch week (edited)' ? true : undefined));
    await boardOne.locator('vscode-button[data-action="archive-card"]').click({ timeout: 10_000 });
    await cardEl.waitFor({ state: 'detached', timeout: 10_000 });
    const archived = await api<Card>('GET', `/api/cards/${created.key}`);
    assert.equal(archived.archived, true);
    const events = (await api<{ events: Array<{ type: string }> }>('GET', `/api/cards/${created.key}/history`)).events.map((e) => e.type);
    assert.deepEqual(events, ['created', 'edited', 'archived']);
    assertNoWebviewProblems();
  });

  // One story in one test, so no step relies on another test having run first.
  it('edits and saves the brand profile, which waits for approval; approved from the Runs panel, its timeline and log lines follow live', async function () {
    this.timeout(300_000);
    const newName = 'Lumen Notes (edited end to end)';
    const brain = await openPanel('Product OS: Open Company Brain', 'brain', 'vscode-textfield[data-pointer="/name"]');
    const name = brain.locator('vscode-textfield[data-pointer="/name"] input');
    assert.equal(await name.inputValue({ timeout: 10_000 }), 'Lumen Notes');
    await name.fill(newName);
    await brain.locator('[data-role="status"]', { hasText: /Unsaved/ }).waitFor({ timeout: 10_000 });
    await brain.locator('vscode-button[data-action="save"]').click({ timeout: 10_000 });
    await brain.locator('#banner', { hasText: /waiting for approval/ }).waitFor({ state: 'visible', timeout: 30_000 });
    await wb!.screenshot(shot('brain-awaiting-approval'));
    const pendingRun = await until('a brand.update_profile run awaiting approval', async () => {
      const page = await api<RunPage>('GET', '/api/runs?tool=brand.update_profile&status=awaiting_approval');
      return page.runs[0];
    });
    assert.deepEqual((pendingRun.input as { patch?: unknown }).patch, { name: newName });
    assertNoWebviewProblems();

    // Approve it from the Runs panel.
    const runs = await openPanel('Product OS: Open Runs', 'runs', '.vlist-row');
    const row = runs.locator(`.vlist-row[data-key="${pendingRun.id}"]`);
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    await row.click({ timeout: 5000 });
    const approve = runs.locator('vscode-button[data-action="approve"]');
    await approve.waitFor({ state: 'visible', timeout: 15_000 });
    await runs.locator('[data-role="timeline"]', { hasText: /awaiting approval/ }).waitFor({ timeout: 10_000 });
    const linesBeforeApproval = await runs.locator('[data-role="logs"] .line').count();
    await wb!.screenshot(shot('runs-awaiting-approval'));
    await approve.click({ timeout: 5000 });
    // No reload: the panel learns each state change from the live run stream.
    await runs.locator('[data-role="timeline"]', { hasText: /running → succeeded/ }).waitFor({ timeout: 20_000 });
    await runs.locator('#banner', { hasText: new RegExp(`Approved .+ \\(run ${pendingRun.id.slice(0, 8)}\\)`) }).waitFor({ timeout: 10_000 });
    const done = await api<Run>('GET', `/api/runs/${pendingRun.id}`);
    assert.equal(done.status, 'succeeded');
    await wb!.screenshot(shot('runs-approved'));

    const history = await api<{ versions: BrandVersion[] }>('GET', '/api/brand/default/history');
    const latest = history.versions.reduce((a, b) => (b.version > a.version ? b : a));
    assert.equal((latest.brand as { name?: string }).name, newName);
    assert.equal(latest.runId, pendingRun.id);
    assertNoWebviewProblems();

    // Its log lines, as they arrive.
    const stored = await api<{ lines: LogLine[] }>('GET', `/api/logs?runId=${pendingRun.id}&limit=1000`);
    // brand.update_profile logs the version it saved (backend/tools/brand.ts).
    assert.ok(stored.lines.length > 0, 'the approved run wrote log lines');
    // The run wrote them while it ran, after the panel had loaded its detail: any line the
    // panel shows came over the live log stream.
    const lines = runs.locator('[data-role="logs"] .line');
    await until('every log line of the run in the panel', async () => ((await lines.count()) >= stored.lines.length ? true : undefined), 15_000);
    assert.equal(linesBeforeApproval, 0);
    await runs.locator('vscode-tab-header', { hasText: /^Logs/ }).click({ timeout: 5000 });
    await runs.locator('[data-role="logs"]', { hasText: stored.lines[0].message.slice(0, 40) }).waitFor({ state: 'visible', timeout: 10_000 });
    say(`${stored.lines.length} log line(s) arrived live`);
    await wb!.screenshot(shot('runs-logs'));
    assertNoWebviewProblems();
  });
});
