/**
 * Deploy and the Services view end to end in a real VS Code: the packaged product-os.vsix in
 * code-server, its bundled backend on the local deploy target (the real Docker engine; images
 * built from the workspace's commits, never pulled), and a small HTTP service repository opened
 * as the workspace. Walked as a user would: Deploy Service… from the palette with its progress,
 * the service in the Services view as ready with its revision, a second deploy from the
 * service's menu, a rollback from a revision's menu that waits for approval and is approved
 * where the editor asks, logs that follow a request made after they were opened, a deploy that
 * never becomes healthy (traffic stays; its error leads to the revision's logs), and a long
 * deploy cancelled from its progress notification. Every container and image the test made is
 * removed afterwards. Needs Debian's chromium, code-server, Docker and busybox-static.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Dockerode from 'dockerode';
import type { Locator } from 'playwright-core';
import type { Run, RunPage } from '../../../contracts/rest';
import type { ServiceStatus } from '../../../contracts/tools/deploy';
import { LABEL } from '../../../backend/deploy/local/service-container';
import {
  ROOT,
  codeServerInstall,
  editorProfile,
  ensureCodeServer,
  ensureVsix,
  hermeticEnv,
  installVsix,
  processAlive,
  QUIET_SETTINGS,
  readBackendRecord,
  startCodeServer,
  writeUserSettings,
  type BackendRecord,
  type CodeServerInstall,
  type EditorProfile,
  type RunningCodeServer,
} from '../../../scripts/code-server';
import { SERVICE_DOCKERFILE, ServiceRepo } from '../../helpers/service-repo';
import { CHROMIUM, until, Workbench } from './workbench';

const screenshotsDir = path.join(ROOT, 'test', 'e2e', 'screenshots');
const shot = (name: string) => path.join(screenshotsDir, `vscode-services-${name}.png`);
const say = (line: string) => process.stdout.write(`      ${line}\n`);
const docker = new Dockerode();

/** The test service, with httpd logging each request's URL (-vv), so a followed log shows a request made after it was opened. */
const DOCKERFILE = SERVICE_DOCKERFILE.replace('httpd -f -v ', 'httpd -f -vv ');
const TOOL_TITLE = 'Deploy Cloud Run service';
const ROLLBACK_TITLE = 'Roll back Cloud Run service';

describe('Deploy and the Services view in a real VS Code (code-server, .vsix installed, local Docker target)', function () {
  this.timeout(120_000);

  const service = `e2e-svc-${randomBytes(2).toString('hex')}`;
  let dir: string;
  let repo: ServiceRepo;
  let cs: CodeServerInstall;
  let profile: EditorProfile;
  let server: RunningCodeServer | undefined;
  let wb: Workbench | undefined;
  let backend: BackendRecord | undefined;
  let failed = false;
  const serverLog: string[] = [];
  /** Revisions in the order they were deployed. */
  const revisions: string[] = [];
  let serviceUrl = '';

  async function api<T>(route: string): Promise<T> {
    backend ??= await until('the extension to record its backend', () => readBackendRecord(profile.userDataDir), 60_000);
    const res = await fetch(`${backend.url}${route}`, { headers: { authorization: `Bearer ${backend.token}` }, signal: AbortSignal.timeout(15_000) });
    const text = await res.text();
    if (!res.ok) throw new Error(`GET ${route}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }

  async function lastRun(tool: string): Promise<Run> {
    const page = await api<RunPage>(`/api/runs?tool=${encodeURIComponent(tool)}&limit=1`);
    assert.ok(page.runs[0], `the backend has a ${tool} run`);
    return page.runs[0];
  }

  async function status(): Promise<ServiceStatus> {
    backend ??= await until('the extension to record its backend', () => readBackendRecord(profile.userDataDir), 60_000);
    // Read through the same tool the view uses, outside the editor: POST a run and wait for it.
    const res = await fetch(`${backend!.url}/api/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${backend!.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tool: 'cloudrun.get_service_status', input: { service_name: service, region: 'local' } }),
      signal: AbortSignal.timeout(15_000),
    });
    const run = (await res.json()) as Run;
    const done = await api<Run>(`/api/runs/${run.id}/wait?timeoutMs=30000`);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    return done.output as ServiceStatus;
  }

  async function body(url: string): Promise<string> {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    return `${res.status} ${await res.text()}`;
  }

  // --- the workbench, as a user sees it ------------------------------------------------------

  const quickTitle = () => wb!.page.locator('.quick-input-widget .quick-input-title');
  const quickInput = () => wb!.page.locator('.quick-input-widget input.input, .quick-input-widget .quick-input-box input').first();

  /** Answers the input box whose title matches: types the text and presses Enter. */
  async function answer(title: RegExp, text: string): Promise<void> {
    await quickTitle().filter({ hasText: title }).waitFor({ state: 'visible', timeout: 60_000 });
    await quickInput().fill(text);
    await quickInput().press('Enter');
  }

  /** Accepts what the input box whose title matches offers, after checking it is `expected`. */
  async function accept(title: RegExp, expected: string): Promise<void> {
    await quickTitle().filter({ hasText: title }).waitFor({ state: 'visible', timeout: 60_000 });
    await until(`the offered value "${expected}"`, async () => ((await quickInput().inputValue({ timeout: 5000 })) === expected ? true : undefined), 10_000);
    await quickInput().press('Enter');
  }

  /** Picks `label` in the quick pick whose title matches. */
  async function choose(title: RegExp, label: string): Promise<void> {
    await quickTitle().filter({ hasText: title }).waitFor({ state: 'visible', timeout: 60_000 });
    await quickInput().fill(label);
    await wb!.pick(new RegExp(`^${label}`));
  }

  /** The optional-settings multi-pick: none chosen, Enter. */
  async function noOptionalSettings(toolTitle: string): Promise<void> {
    await quickTitle().filter({ hasText: `${toolTitle}: optional settings` }).waitFor({ state: 'visible', timeout: 30_000 });
    await quickInput().press('Enter');
  }

  /** A toast whose text matches (message and buttons). */
  const toast = (text: RegExp): Locator => wb!.page.locator('.notification-toast', { hasText: text }).first();

  /** The Services view's rows. */
  const servicesPane = () => wb!.page.locator('.part.sidebar .pane', { has: wb!.page.locator('.pane-header', { hasText: /^\s*Services/ }) });
  const row = (text: string | RegExp): Locator => servicesPane().locator('.monaco-list-row', { hasText: text }).first();

  async function rowText(text: string | RegExp, expected: RegExp, timeoutMs = 60_000): Promise<string> {
    return until(
      `a Services row with ${String(text)} reading ${String(expected)}`,
      async () => {
        const r = row(text);
        if (!(await r.isVisible())) return undefined;
        const t = (await r.innerText({ timeout: 5000 })).replace(/\s+/g, ' ');
        return expected.test(t) ? t : undefined;
      },
      timeoutMs,
    );
  }

  async function menu(target: Locator, item: RegExp): Promise<void> {
    await target.click({ button: 'right', timeout: 10_000 });
    const entry = wb!.page.getByRole('menuitem', { name: item }).first();
    await entry.waitFor({ state: 'visible', timeout: 10_000 });
    // A click right after the menu opens can be taken for the end of the right click that
    // opened it and ignored; the item keeps focus under the pointer, so Enter then runs it.
    await entry.click({ timeout: 5000 });
    const open = wb!.page.locator('.context-view.monaco-menu-container');
    try {
      await open.waitFor({ state: 'hidden', timeout: 3000 });
    } catch {
      await entry.hover({ timeout: 5000 });
      await wb!.page.keyboard.press('Enter');
      await open.waitFor({ state: 'hidden', timeout: 10_000 });
    }
  }

  /** The Output panel's text (a Monaco editor: no-break spaces as spaces). */
  const outputText = async () => (await wb!.page.locator('.part.panel').innerText({ timeout: 5000 })).replace(/\u00a0/g, ' ');

  before(async function () {
    this.timeout(25 * 60_000);
    failed = true;
    if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install chromium (npm test installs it as root)`);
    try {
      await docker.ping();
    } catch (err) {
      throw new Error(`this test needs the Docker engine (${(err as Error).message}); start it with scripts/ensure-docker.sh`);
    }
    cs = codeServerInstall();
    if (!fs.existsSync(cs.entry) || !fs.existsSync(cs.node)) cs = await ensureCodeServer();
    const vsix = await ensureVsix();
    say(vsix.packaged ? `packaged product-os.vsix in ${vsix.ms} ms` : 'product-os.vsix is up to date');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'product-os-services-e2e-'));
    profile = editorProfile(dir);

    // The user's service: a git repository with a Dockerfile, opened as the workspace.
    repo = new ServiceRepo(path.join(dir, 'workspace'));
    repo.commit({ Dockerfile: DOCKERFILE, 'www/index.html': 'hello v1\n' }, 'v1');

    await installVsix(cs, profile);
    writeUserSettings(profile, QUIET_SETTINGS, {});
    server = await startCodeServer(cs, { profile, folder: repo.dir, auth: 'none', env: hermeticEnv(), onLine: (l) => serverLog.push(l) });
    wb = await Workbench.open(server.url);
    fs.mkdirSync(screenshotsDir, { recursive: true });
    failed = false;
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });

  after(async function () {
    this.timeout(120_000);
    if (wb && failed) await wb.page.screenshot({ path: shot('failure') }).catch(() => {});
    await wb?.close().catch(() => {});
    await server?.stop(15_000);
    // Everything the service made: its containers (every revision's), then its images.
    const containers = await docker.listContainers({ all: true, filters: { label: [`${LABEL.service}=${service}`] } }).catch(() => []);
    for (const c of containers) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    const images = await docker.listImages({ filters: { reference: [`product-os-svc/${service}`] } }).catch(() => []);
    for (const i of images) await docker.getImage(i.Id).remove({ force: true }).catch(() => undefined);
    const left = [
      ...(await docker.listContainers({ all: true, filters: { label: [`${LABEL.service}=${service}`] } }).catch(() => [])).map((c) => c.Id.slice(0, 12)),
      ...(await docker.listImages({ filters: { reference: [`product-os-svc/${service}`] } }).catch(() => [])).map((i) => i.Id.slice(7, 19)),
    ];
    if (dir) {
      fs.writeFileSync(path.join(dir, 'code-server.log'), `${serverLog.join('\n')}\n`);
      if (failed || process.env.PRODUCT_OS_E2E_KEEP === '1') say(`kept ${dir} (profile, code-server.log)`);
      else fs.rmSync(dir, { recursive: true, force: true });
    }
    if (backend && processAlive(backend.pid)) {
      process.kill(backend.pid, 'SIGKILL');
      throw new Error(`the backend (pid ${backend.pid}) outlived code-server`);
    }
    assert.deepEqual(left, [], 'every container and image of the test service is removed');
  });

  it('deploys from the palette with progress; the Services view shows the service ready with its revision', async function () {
    this.timeout(420_000);
    await wb!.runCommand('Product OS: Deploy Service…', 60_000);
    // The workspace's repository is preset; the rest is asked, in the registry's order.
    await answer(/Deploy Cloud Run service \(1\/4\): service_name/, service);
    await accept(/\(2\/4\): ref/, 'main'); // the branch the workspace has checked out
    await choose(/\(3\/4\): env/, 'dev');
    await answer(/\(4\/4\): region/, 'local');
    await noOptionalSettings(TOOL_TITLE);
    const t0 = Date.now();
    // Progress: the run's steps, in the notification that can cancel it.
    await toast(new RegExp(`${TOOL_TITLE}.*(checking out|building|starting revision|waiting for revision)`)).waitFor({ state: 'visible', timeout: 180_000 });
    const done = await wb!.notification(/Deployed revision /, 300_000);
    say(`first deploy: command to "Deployed" ${Date.now() - t0} ms`);
    const m = /Deployed revision (\S+): (http:\/\/127\.0\.0\.1:\d+)/.exec(done);
    assert.ok(m, done);
    revisions.push(m[1]);
    serviceUrl = m[2];
    assert.match(revisions[0], new RegExp(`^${service}-00001-[0-9a-f]{3}$`));
    assert.equal(await body(serviceUrl), '200 hello v1\n');
    const run = await lastRun('cloudrun.deploy_service');
    assert.equal(run.status, 'succeeded');
    assert.deepEqual(run.input, { repo: repo.dir, service_name: service, ref: 'main', env: 'dev', region: 'local' });
    await wb!.clearNotifications();

    await wb!.runCommand('Product OS: Focus on Services View');
    await rowText(service, new RegExp(`ready · ${serviceUrl.replace(/\./g, '\\.')}`));
    await row(service).click({ timeout: 10_000 }); // expands: its revisions
    await rowText(revisions[0], /100% traffic · ready · main/);
    await wb!.screenshot(shot('first-deploy'));
    assert.deepEqual(wb!.takeProblems(), []);
  });

  it('deploys again from the service\'s menu; the view follows: the new revision serves, the first is retired', async function () {
    this.timeout(420_000);
    repo.commit({ 'www/index.html': 'hello v2\n' }, 'v2');
    await menu(row(service), /Deploy Service/);
    // The service and its region come from the row: only the ref and env are asked.
    await accept(/Deploy Cloud Run service \(1\/2\): ref/, 'main');
    await choose(/\(2\/2\): env/, 'dev');
    await noOptionalSettings(TOOL_TITLE);
    const done = await wb!.notification(/Deployed revision /, 300_000);
    const m = /Deployed revision (\S+): (\S+)/.exec(done);
    assert.ok(m, done);
    revisions.push(m[1]);
    assert.equal(m[2], serviceUrl, 'the service keeps its URL');
    assert.equal(await body(serviceUrl), '200 hello v2\n');
    await wb!.clearNotifications();
    await rowText(revisions[1], /100% traffic · ready · main/);
    await rowText(revisions[0], /retired/);
    await wb!.screenshot(shot('second-deploy'));
  });

  it('rolls back to the first revision from its menu: the high-risk run waits, is approved where the editor asks, and the view shows the traffic move', async function () {
    this.timeout(300_000);
    await menu(row(revisions[0]), /Roll Back to Revision/);
    await choose(/Roll back Cloud Run service \(1\/2\): env/, 'dev');
    await answer(/\(2\/2\): reason/, 'v2 is wrong');
    // The editor asks for the approval; the modal shows the run and its input.
    const ask = toast(/is waiting for your approval/);
    await ask.waitFor({ state: 'visible', timeout: 60_000 });
    const pending = await lastRun('cloudrun.rollback_service');
    assert.equal(pending.status, 'awaiting_approval');
    assert.equal(pending.risk, 'high');
    await ask.locator('.monaco-button', { hasText: 'Approve or Deny' }).click({ timeout: 10_000 });
    const dialog = wb!.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(await dialog.innerText(), new RegExp(`to_revision.*${revisions[0]}`, 's'));
    await wb!.screenshot(shot('rollback-approval'));
    await dialog.locator('.monaco-button', { hasText: /^Approve$/ }).click({ timeout: 5000 });
    await answer(/Approve: reason/, 'checked with the team');
    await wb!.notification(new RegExp(`${ROLLBACK_TITLE} succeeded`), 120_000);
    const done = await api<Run>(`/api/runs/${pending.id}`);
    assert.equal(done.status, 'succeeded');
    assert.deepEqual([(done.output as { from_revision: string }).from_revision, (done.output as { to_revision: string }).to_revision], [revisions[1], revisions[0]]);
    assert.equal(await body(serviceUrl), '200 hello v1\n');
    await wb!.clearNotifications();
    // No refresh pressed: the view redraws when the rollback run ends.
    await rowText(revisions[0], /100% traffic · ready/);
    await rowText(revisions[1], /retired/);
    await wb!.screenshot(shot('rolled-back'));
  });

  it('follows the service\'s logs: a request made after they were opened shows up, until stopped', async function () {
    this.timeout(180_000);
    const followedFrom = new Date().toISOString();
    await menu(row(service), /Follow Logs/);
    await until('the serving revision\'s start line in the Output panel', async () => ((await outputText()).includes(`serving ${revisions[0]} on 8080`) ? true : undefined), 60_000);
    const marker = `/followed-${randomBytes(3).toString('hex')}`;
    assert.match(await body(`${serviceUrl}${marker}`), /^404/);
    await until(`the request ${marker} in the followed log`, async () => ((await outputText()).includes(`url:${marker}`) ? true : undefined), 60_000);
    await wb!.screenshot(shot('logs-follow'));
    const following = toast(/Following the logs of/);
    await following.locator('.monaco-button', { hasText: 'Stop Following' }).click({ timeout: 10_000 });
    await until('the followed log to say it stopped', async () => ((await outputText()).includes('stopped following') ? true : undefined), 15_000);
    // One logs.tail run for the whole follow (its lines are the run's log events), cancelled by Stop Following.
    const tails = (await api<RunPage>(`/api/runs?tool=logs.tail&since=${encodeURIComponent(followedFrom)}`)).runs;
    assert.equal(tails.length, 1, 'not a run per poll');
    assert.equal((tails[0].input as { follow?: boolean }).follow, true);
    await until('the follow run to be cancelled', async () => ((await api<Run>(`/api/runs/${tails[0].id}`)).status === 'cancelled' ? true : undefined), 15_000);
    // The view's own reads are labelled, so the Runs view and panel keep them out of sight by default.
    const reads = (await api<RunPage>('/api/runs?tool=cloudrun.list_services&limit=5')).runs;
    assert.ok(reads.length > 0 && reads.every((r) => r.labels.origin === 'view'), JSON.stringify(reads.map((r) => r.labels)));
    await wb!.runCommand('View: Hide Panel');
  });

  it('a deploy that never becomes healthy keeps traffic where it was, and its error leads to that revision\'s logs', async function () {
    this.timeout(300_000);
    repo.commit({ Dockerfile: DOCKERFILE.replace(/CMD .*/, 'CMD ["/bin/busybox", "sh", "-c", "echo crashing on purpose; exit 3"]') }, 'crashes');
    await menu(row(service), /Deploy Service/);
    await answer(/Deploy Cloud Run service \(1\/2\): ref/, 'main');
    await choose(/\(2\/2\): env/, 'dev');
    await noOptionalSettings(TOOL_TITLE);
    const failure = toast(/Deploy failed: revision \S+ never became healthy/);
    await failure.waitFor({ state: 'visible', timeout: 240_000 });
    const text = (await failure.innerText()).replace(/\s+/g, ' ');
    const broken = /revision (\S+) never became healthy/.exec(text)![1];
    assert.match(text, new RegExp(`traffic stays on revision ${revisions[0]}`));
    assert.equal(await body(serviceUrl), '200 hello v1\n');
    await failure.hover({ timeout: 5000 });
    await failure.locator('.monaco-button', { hasText: 'Show Revision Logs' }).click({ timeout: 10_000 });
    await until('the broken revision\'s own output in the Output panel', async () => ((await outputText()).includes('crashing on purpose') ? true : undefined), 60_000);
    await wb!.screenshot(shot('broken-deploy-logs'));
    await toast(new RegExp(`Following the logs of ${broken}`)).locator('.monaco-button', { hasText: 'Stop Following' }).click({ timeout: 10_000 });
    await wb!.runCommand('View: Hide Panel');
    await wb!.clearNotifications();
    revisions.push(broken);
    await rowText(broken, /error/);
    await rowText(revisions[0], /100% traffic · ready/);
    await rowText(service, /ready/);
  });

  it('cancels a long deploy from its progress notification: nothing is left, traffic stays', async function () {
    this.timeout(420_000);
    const before = (await docker.listContainers({ all: true, filters: { label: [`${LABEL.service}=${service}`] } })).length;
    repo.commit({ Dockerfile: DOCKERFILE.replace(/CMD .*/, 'CMD ["/bin/busybox", "sleep", "600"]') }, 'never listens');
    await menu(row(service), /Deploy Service/);
    await answer(/Deploy Cloud Run service \(1\/2\): ref/, 'main');
    await choose(/\(2\/2\): env/, 'dev');
    await noOptionalSettings(TOOL_TITLE);
    // The new revision never answers: its health check waits; Cancel on the progress stops it.
    const progress = toast(/waiting for revision/);
    await progress.waitFor({ state: 'visible', timeout: 240_000 });
    // The view shows the deploy under way (it redraws when a deploy starts), no refresh pressed.
    await rowText(service, /deploying/);
    await wb!.screenshot(shot('deploy-progress'));
    await progress.hover({ timeout: 5000 });
    await progress.locator('.monaco-button', { hasText: 'Cancel' }).click({ timeout: 10_000 });
    await wb!.notification(new RegExp(`${TOOL_TITLE} was cancelled`), 120_000);
    const run = await lastRun('cloudrun.deploy_service');
    assert.equal(run.status, 'cancelled');
    await until('the cancelled revision\'s container to be removed', async () => ((await docker.listContainers({ all: true, filters: { label: [`${LABEL.service}=${service}`] } })).length === before ? true : undefined), 60_000);
    const s = await until('the service to settle after the cancelled deploy', async () => {
      const st = await status();
      return st.status === 'deploying' ? undefined : st;
    }, 60_000);
    assert.equal(s.status, 'ready');
    assert.equal(s.serving_revision, revisions[0]);
    assert.deepEqual(s.revisions!.map((r) => r.name), [revisions[2], revisions[1], revisions[0]], 'a cancelled deploy makes no revision');
    assert.equal(await body(serviceUrl), '200 hello v1\n');
    await rowText(service, /ready/);
    assert.deepEqual(wb!.takeProblems(), []);
  });
});
