/**
 * Insights end to end in a real VS Code: the packaged product-os.vsix in code-server, the demo
 * (`product-os demo`: board, brand profile and three months of a product's events) seeded into
 * the folder the extension's backend uses, and "Product OS: Open Insights" from the palette.
 * The panel proposes a funnel from the events that exist and draws the funnel, the retention
 * triangle and the drivers; each drawing must equal the output of the tool run the backend
 * recorded for it (GET /api/runs), so what is seen came from the tools, through the extension
 * host, on the demo's events. Fails on any console error, uncaught exception or CSP violation in
 * the webview. Needs Debian's chromium and code-server, like editor.test.ts (same helpers).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import type { Run, RunPage } from '../../../contracts/rest';
import type { CohortRetention, FunnelSummary, TopDrivers } from '../../../contracts/tools/analytics';
import {
  ROOT,
  codeServerInstall,
  editorProfile,
  ensureCodeServer,
  ensureVsix,
  extensionDataDir,
  hermeticEnv,
  installVsix,
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

describe('Insights in a real VS Code on the demo\'s events (code-server, .vsix installed)', function () {
  this.timeout(120_000);

  let dir: string;
  let cs: CodeServerInstall;
  let profile: EditorProfile;
  let server: RunningCodeServer | undefined;
  let wb: Workbench | undefined;
  let backend: BackendRecord | undefined;
  let failed = false;
  const serverLog: string[] = [];

  async function api<T>(route: string): Promise<T> {
    backend ??= await until('the extension to record its backend', () => readBackendRecord(profile.userDataDir), 30_000);
    const res = await fetch(`${backend.url}${route}`, { headers: { authorization: `Bearer ${backend.token}` }, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    if (!res.ok) throw new Error(`GET ${route}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }

  /** The newest succeeded run of a tool, as the backend recorded it. */
  async function lastRun(tool: string): Promise<Run> {
    const page = await api<RunPage>(`/api/runs?tool=${encodeURIComponent(tool)}&status=succeeded&limit=1`);
    assert.ok(page.runs[0], `the backend has a succeeded ${tool} run`);
    return page.runs[0];
  }

  const rowsOf = (frame: Frame, sel: string) =>
    frame.$$eval(`${sel} tbody tr`, (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => (td.textContent ?? '').trim())));

  before(async function () {
    this.timeout(25 * 60_000);
    failed = true;
    if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install chromium (npm test installs it as root)`);
    let t0 = Date.now();
    cs = codeServerInstall();
    if (!fs.existsSync(cs.entry) || !fs.existsSync(cs.node)) {
      cs = await ensureCodeServer();
      say(`installed code-server in ${Date.now() - t0} ms`);
    }
    const vsix = await ensureVsix();
    say(vsix.packaged ? `packaged product-os.vsix in ${vsix.ms} ms` : 'product-os.vsix is up to date');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'product-os-insights-e2e-'));
    profile = editorProfile(dir);
    const workspace = path.join(dir, 'workspace');
    fs.mkdirSync(path.join(workspace, 'logs'), { recursive: true });
    await installVsix(cs, profile);
    writeUserSettings(profile, QUIET_SETTINGS, {});
    t0 = Date.now();
    const env = hermeticEnv();
    const seeded = await seedDemo(extensionDataDir(profile.userDataDir), { env, timeoutMs: 300_000 });
    assert.ok(seeded.seeded, seeded.detail);
    say(`product-os demo (board, brand, events) in ${Date.now() - t0} ms: ${seeded.detail.split('\n').slice(-3).join(' / ')}`);
    server = await startCodeServer(cs, { profile, folder: workspace, auth: 'none', env, onLine: (l) => serverLog.push(l) });
    wb = await Workbench.open(server.url);
    fs.mkdirSync(screenshotsDir, { recursive: true });
    failed = false;
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });

  after(async function () {
    this.timeout(60_000);
    if (wb && failed) await wb.page.screenshot({ path: shot('insights-failure') }).catch(() => {});
    await wb?.close().catch(() => {});
    await server?.stop(15_000);
    if (dir) {
      fs.writeFileSync(path.join(dir, 'code-server.log'), `${serverLog.join('\n')}\n`);
      if (failed || process.env.PRODUCT_OS_E2E_KEEP === '1') say(`kept ${dir} (profile, code-server.log)`);
      else fs.rmSync(dir, { recursive: true, force: true });
    }
    if (backend && processAlive(backend.pid)) {
      process.kill(backend.pid, 'SIGKILL');
      throw new Error(`the backend (pid ${backend.pid}) outlived code-server`);
    }
  });

  it('opens Insights on the demo\'s events and sees the funnel, retention and drivers the tools computed', async function () {
    this.timeout(300_000);
    const t0 = Date.now();
    await wb!.runCommand('Product OS: Open Insights', 60_000);
    const frame = await wb!.panel('insights', 90_000);
    // No empty state and no sample: the demo's events are there.
    await frame.locator('[data-role="data-span"]').filter({ hasText: /events from [\d,]+ users/ }).waitFor({ timeout: 60_000 });
    assert.equal(await frame.locator('[data-role="empty"]').isVisible(), false);
    // The first look runs the analyses; each card fills from its tool's output.
    await frame.locator('[data-role="funnel-table"] tbody tr').first().waitFor({ timeout: 180_000 });
    await frame.locator('[data-role="retention"] tbody tr').first().waitFor({ timeout: 120_000 });
    // Rows, or the paragraph that says there are none: not "No drivers yet." (the run is still going).
    const driversDrawn = frame.locator('[data-role="drivers"] tbody tr').or(frame.locator('[data-role="drivers"] p').filter({ hasNotText: 'No drivers yet' }));
    await driversDrawn.first().waitFor({ timeout: 120_000 });
    say(`funnel, retention and drivers drawn ${Date.now() - t0} ms after the command`);

    const funnel = (await lastRun('analytics.funnel_summary')).output as FunnelSummary;
    const drawnFunnel = await rowsOf(frame, '[data-role="funnel-table"]');
    assert.deepEqual(
      drawnFunnel.map((r) => [r[0], r[1]]),
      funnel.steps.map((s, i) => [`${i + 1}. ${s.event_name}`, s.users.toLocaleString('en-US')]),
      'the funnel drawn is the funnel_summary run\'s output',
    );
    assert.ok(funnel.steps.length >= 2 && funnel.steps[0].users > funnel.steps.at(-1)!.users, `a funnel that narrows: ${funnel.steps.map((s) => s.users).join(' → ')}`);

    const retention = (await lastRun('analytics.cohort_retention')).output as CohortRetention;
    const drawnRetention = await rowsOf(frame, '[data-role="retention"]');
    assert.deepEqual(drawnRetention.map((r) => [r[0], r[1]]), retention.cohorts.map((c) => [c.cohort_start, c.size.toLocaleString('en-US')]));
    assert.ok(retention.cohorts.length > 0);

    const drivers = (await lastRun('analytics.top_drivers')).output as TopDrivers;
    const drawnDrivers = await frame.locator('[data-role="drivers"] tbody tr').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.driver));
    assert.deepEqual([...drawnDrivers].sort(), drivers.drivers.map((d) => d.name).sort());
    assert.ok(drivers.drivers.length > 0, 'the demo plants a property that drives conversion');
    say(`funnel ${funnel.steps.map((s) => `${s.event_name} ${s.users}`).join(' → ')}; ${retention.cohorts.length} cohorts; top driver ${drivers.drivers[0]?.name}`);

    await wb!.screenshot(shot('insights'));
    const problems = wb!.takeProblems();
    assert.deepEqual(problems, [], `errors inside a webview:\n${problems.join('\n')}`);
  });
});
