import assert from 'node:assert/strict';
import Dockerode from 'dockerode';
import { callRoute } from '../../contracts/client';
import type { Run } from '../../contracts/rest';
import type { DeployOutput, LogsTailOutput, RollbackOutput, ServiceStatus } from '../../contracts/tools/deploy';
import { LocalDeployTarget } from '../../backend/deploy/local/target';
import { LABEL } from '../../backend/deploy/local/service-container';
import { startBackend, tempDir, type TestBackend } from '../helpers/backend';
import { SERVICE_DOCKERFILE, ServiceRepo } from '../helpers/service-repo';

const docker = new Dockerode();
const SERVICE = 'hello-svc';
const REGION = 'local';

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}

/**
 * The local deploy target end to end, through the backend's tools and the real Docker engine:
 * a service built from a test repository, two healthy revisions, a broken build and a revision
 * that never becomes healthy (traffic stays), an approved rollback, each revision's logs, and
 * nothing left behind.
 */
describe('deploy: the local Docker target (real engine)', function () {
  this.timeout(240_000);
  let b: TestBackend;
  let repo: ServiceRepo;
  let owner: string;
  const deploy = (ref: string) => b.tool('cloudrun.deploy_service', { service_name: SERVICE, repo: repo.dir, ref, env: 'dev', region: REGION });
  const status = async () => (await b.tool('cloudrun.get_service_status', { service_name: SERVICE, region: REGION })).output as ServiceStatus;
  const logs = async (revision?: string) =>
    ((await b.tool('logs.tail', { scope: 'service', service_name: SERVICE, limit: 100, ...(revision ? { revision } : {}) })).output as LogsTailOutput).lines;

  before(async () => {
    try {
      await docker.ping();
    } catch (err) {
      throw new Error(`these tests need the Docker engine (${(err as Error).message}); start it with scripts/ensure-docker.sh`);
    }
    repo = new ServiceRepo(tempDir('deploy-repo-'));
    repo.commit({ Dockerfile: SERVICE_DOCKERFILE, 'www/index.html': 'hello v1\n' }, 'v1');
    repo.git('tag', 'v1');
    b = await startBackend();
    owner = new LocalDeployTarget({ docker, dataDir: b.dataDir }).owner;
  });

  after(async () => {
    // Everything this backend made goes: containers, images, then the backend.
    const containers = await docker.listContainers({ all: true, filters: { label: [`${LABEL.owner}=${owner}`] } });
    for (const c of containers) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    const images = await docker.listImages({ filters: { reference: [`product-os-svc/${SERVICE}`] } });
    for (const i of images) await docker.getImage(i.Id).remove({ force: true }).catch(() => undefined);
    await b?.close();
  });

  let first: DeployOutput;
  let second: DeployOutput;

  it('deploys the first revision from a ref: ready, serving on a loopback URL', async () => {
    const run = await deploy('v1');
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    first = run.output as DeployOutput;
    assert.match(first.service_url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(first.revision, /^hello-svc-00001-[0-9a-f]{3}$/);
    assert.deepEqual(await get(first.service_url), { status: 200, body: 'hello v1\n' });
    const s = await status();
    assert.equal(s.status, 'ready');
    assert.equal(s.latest_ready_revision, first.revision);
    assert.equal(s.service_url, first.service_url);
    // The container is labelled and published on 127.0.0.1 only.
    const [c] = await docker.listContainers({ filters: { label: [`${LABEL.revision}=${first.revision}`] } });
    assert.ok(c.Ports.every((p) => p.IP === undefined || p.IP === '127.0.0.1'), JSON.stringify(c.Ports));
  });

  it('builds from the commit, not the working copy: an uncommitted edit is not deployed', async () => {
    repo.commit({ 'www/index.html': 'hello v2\n' }, 'v2');
    require('node:fs').writeFileSync(`${repo.dir}/www/index.html`, 'uncommitted\n');
    const run = await deploy('main');
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    second = run.output as DeployOutput;
    assert.equal(second.service_url, first.service_url, 'the service keeps its URL');
    assert.notEqual(second.revision, first.revision);
    assert.deepEqual(await get(second.service_url), { status: 200, body: 'hello v2\n' });
    const s = await status();
    assert.equal(s.status, 'ready');
    assert.deepEqual(s.revisions!.map((r) => [r.name, r.status, r.traffic_percent]), [
      [second.revision, 'ready', 100],
      [first.revision, 'retired', 0],
    ]);
  });

  it('a Dockerfile that fails to build leaves traffic on the serving revision and says so', async () => {
    repo.commit({ Dockerfile: SERVICE_DOCKERFILE.replace('COPY www /www', 'COPY missing-folder /www') }, 'broken build');
    const run = await deploy('main');
    assert.equal(run.status, 'failed');
    assert.equal(run.error!.code, 'invalid_input');
    assert.match(run.error!.message, /failed to build/);
    assert.match(run.error!.message, new RegExp(`traffic stays on revision ${second.revision}`));
    assert.deepEqual(await get(second.service_url), { status: 200, body: 'hello v2\n' });
    assert.equal((await status()).status, 'ready');
  });

  it('a revision that never becomes healthy stays out of traffic, recorded as error', async () => {
    repo.commit({ Dockerfile: SERVICE_DOCKERFILE.replace(/CMD .*/, 'CMD ["/bin/busybox", "sh", "-c", "echo crashing on purpose; exit 3"]') }, 'crashes');
    const run = await deploy('main');
    assert.equal(run.status, 'failed');
    assert.equal(run.error!.code, 'executor_failed');
    assert.match(run.error!.message, /never became healthy: its container exited with code 3/);
    assert.match(run.error!.message, new RegExp(`traffic stays on revision ${second.revision}`));
    assert.deepEqual(await get(second.service_url), { status: 200, body: 'hello v2\n' });
    const s = await status();
    assert.equal(s.status, 'ready');
    assert.equal(s.serving_revision, second.revision);
    assert.equal(s.revisions![0].status, 'error');
    assert.equal(s.revisions!.length, 3, 'a failed build makes no revision; a failed start does');
  });

  it('a ref that does not exist is refused with its name, and nothing changes', async () => {
    const run = await deploy('no-such-branch');
    assert.equal(run.status, 'failed');
    assert.equal(run.error!.code, 'not_found');
    assert.match(run.error!.message, /ref "no-such-branch" does not exist/);
    assert.equal((await status()).revisions!.length, 3);
  });

  it('rolls back to the first revision after approval (high risk), and says traffic is pinned', async () => {
    const conn = { url: b.url, token: b.token };
    const run = await callRoute(conn, 'createRun', { body: { tool: 'cloudrun.rollback_service', input: { service_name: SERVICE, region: REGION, env: 'dev', to_revision: first.revision, reason: 'v2 is wrong' } } });
    assert.equal(run.status, 'awaiting_approval');
    await callRoute(conn, 'approveRun', { params: { id: run.id } });
    const done: Run = await callRoute(conn, 'waitRun', { params: { id: run.id }, query: { timeoutMs: 30_000 } });
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    const out = done.output as RollbackOutput;
    assert.equal(out.from_revision, second.revision);
    assert.equal(out.to_revision, first.revision);
    assert.deepEqual(await get(first.service_url), { status: 200, body: 'hello v1\n' });
    const s = await status();
    assert.equal(s.status, 'ready');
    assert.equal(s.serving_revision, first.revision);
    assert.equal(s.latest_ready_revision, second.revision, 'Cloud Run semantics: the latest ready revision is not the one serving after a rollback');
  });

  it('reads each revision\'s logs, and the service\'s logs across revisions', async () => {
    await get(`${first.service_url}/index.html`);
    const byRevision = await Promise.all([first.revision, second.revision].map((r) => logs(r)));
    for (const [i, rev] of [first.revision, second.revision].entries()) {
      assert.ok(byRevision[i].some((l) => l.text.includes(`serving ${rev} on 8080`)), `${rev}: ${JSON.stringify(byRevision[i])}`);
      assert.ok(byRevision[i].every((l) => !Number.isNaN(Date.parse(l.timestamp))));
    }
    const all = await logs();
    assert.ok(all.some((l) => l.text.includes('crashing on purpose')), 'the broken revision\'s lines are kept');
    assert.ok(all.some((l) => l.text.startsWith(`[${first.revision}]`)));
    const sorted = [...all].sort((a, c) => a.timestamp.localeCompare(c.timestamp));
    assert.deepEqual(all, sorted, 'oldest first');
    const two = ((await b.tool('logs.tail', { scope: 'service', service_name: SERVICE, limit: 2 })).output as LogsTailOutput).lines;
    assert.deepEqual(two, all.slice(-2), 'limit keeps the newest');
  });

  it('follows the service\'s logs in one run: the window, then each new line as a log event, until cancelled', async () => {
    const conn = { url: b.url, token: b.token };
    const run = await callRoute(conn, 'createRun', { body: { tool: 'logs.tail', input: { scope: 'service', service_name: SERVICE, limit: 50, follow: true, follow_seconds: 120 } } });
    const lines = async () => (await callRoute(conn, 'listLogs', { query: { runId: run.id, limit: 1000 } })).lines.map((l) => l.message);
    const until = async (what: string, ok: (l: string[]) => boolean) => {
      const deadline = Date.now() + 30_000;
      for (let l = await lines(); !ok(l); l = await lines()) {
        assert.ok(Date.now() < deadline, `${what}: ${JSON.stringify(l)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    await until('the window\'s lines', (l) => l.some((m) => m.includes(`[${first.revision}] serving ${first.revision} on 8080`)));
    const before = (await lines()).length;
    // busybox httpd -v logs each request of the serving revision: new lines, in the same run.
    await get(`${first.service_url}/index.html`);
    await until('a line written after the follow started', (l) => l.length > before && l.slice(before).some((m) => m.startsWith(`[${first.revision}]`)));
    // One run, still following. (An idempotent run's "running" is stored lazily, so under load it
    // may still read dispatching for a moment: waited for, bounded.)
    for (const deadline = Date.now() + 10_000; ; await new Promise((r) => setTimeout(r, 100))) {
      const status = (await callRoute(conn, 'getRun', { params: { id: run.id } })).status;
      if (status === 'running') break;
      assert.ok(status === 'dispatching' && Date.now() < deadline, `one run, still following: ${status}`);
    }
    await callRoute(conn, 'cancelRun', { params: { id: run.id } });
    const done: Run = await callRoute(conn, 'waitRun', { params: { id: run.id }, query: { timeoutMs: 30_000 } });
    assert.equal(done.status, 'cancelled');
    const tails = await callRoute(conn, 'listRuns', { query: { tool: 'logs.tail', since: run.createdAt } });
    assert.equal(tails.runs.length, 1, 'no run per poll');
    const serving = (await lines()).filter((m) => m.includes(`serving ${first.revision} on 8080`));
    const once = (await logs(first.revision)).filter((l) => l.text.includes(`serving ${first.revision} on 8080`));
    assert.equal(serving.length, once.length, 'a window line is not sent again by the follow');
  });

  it('refuses follow for a run\'s lines', async () => {
    const run = await b.tool('logs.tail', { scope: 'run', run_id: '00000000-0000-4000-8000-000000000000', limit: 5, follow: true });
    assert.equal(run.status, 'failed');
    assert.equal(run.error!.code, 'invalid_input');
    assert.match(run.error!.message, /follow works with scope "service" only/);
  });

  it('a bad deploy option is refused before anything is built', async () => {
    const run = await b.tool('cloudrun.deploy_service', { service_name: SERVICE, repo: repo.dir, ref: 'v1', env: 'dev', region: REGION, deploy: { memory: 'lots' } });
    assert.equal(run.status, 'failed');
    assert.equal(run.error!.code, 'invalid_input');
    assert.match(run.error!.message, /deploy\.memory "lots"/);
    assert.equal((await status()).revisions!.length, 3);
  });

  it('a cancelled deploy stops cleanly: no revision, container or image left, traffic unchanged', async () => {
    repo.commit({ Dockerfile: SERVICE_DOCKERFILE.replace(/CMD .*/, 'CMD ["/bin/busybox", "sleep", "600"]') }, 'never listens');
    const conn = { url: b.url, token: b.token };
    const before = (await docker.listContainers({ all: true, filters: { label: [`${LABEL.service}=${SERVICE}`, `${LABEL.owner}=${owner}`] } })).length;
    const run = await callRoute(conn, 'createRun', { body: { tool: 'cloudrun.deploy_service', input: { service_name: SERVICE, repo: repo.dir, ref: 'main', env: 'dev', region: REGION } } });
    // Cancelled while the new revision is being health-checked (its container exists and runs).
    const deadline = Date.now() + 60_000;
    while ((await docker.listContainers({ filters: { label: [`${LABEL.service}=${SERVICE}`, `${LABEL.owner}=${owner}`] } })).length < 2) {
      assert.ok(Date.now() < deadline, 'the new revision never started');
      await new Promise((r) => setTimeout(r, 100));
    }
    await callRoute(conn, 'cancelRun', { params: { id: run.id } });
    const done: Run = await callRoute(conn, 'waitRun', { params: { id: run.id }, query: { timeoutMs: 30_000 } });
    assert.equal(done.status, 'cancelled');
    const cleanDeadline = Date.now() + 30_000;
    while ((await docker.listContainers({ all: true, filters: { label: [`${LABEL.service}=${SERVICE}`, `${LABEL.owner}=${owner}`] } })).length !== before) {
      assert.ok(Date.now() < cleanDeadline, 'the cancelled revision\'s container was left behind');
      await new Promise((r) => setTimeout(r, 100));
    }
    const s = await status();
    assert.equal(s.revisions!.length, 3);
    assert.equal(s.serving_revision, first.revision);
    assert.deepEqual(await get(first.service_url), { status: 200, body: 'hello v1\n' });
  });

  it('lists the service for the Services view, and removes it with every container and image', async () => {
    type Listed = { target: string; services: Array<{ service_name: string; status: string; revision_count: number }> };
    // The cancelled deploy before this test ends its clean-up after its run has ended; until then
    // the service rightly says deploying (bounded wait).
    let list = (await b.tool('cloudrun.list_services', {})).output as Listed;
    for (let i = 0; i < 50 && list.services.some((s) => s.status === 'deploying'); i++) {
      await new Promise((r) => setTimeout(r, 200));
      list = (await b.tool('cloudrun.list_services', {})).output as Listed;
    }
    assert.equal(list.target, 'local');
    assert.deepEqual(list.services.map((s) => [s.service_name, s.status, s.revision_count]), [[SERVICE, 'ready', 3]]);
    const target = new LocalDeployTarget({ docker, dataDir: b.dataDir });
    await target.deleteService(SERVICE, REGION);
    await target.close();
    assert.deepEqual(await docker.listContainers({ all: true, filters: { label: [`${LABEL.owner}=${owner}`] } }), []);
    assert.deepEqual(await docker.listImages({ filters: { reference: [`product-os-svc/${SERVICE}`] } }), []);
  });
});

describe('deploy: the local target after a restart (real engine)', function () {
  this.timeout(120_000);
  const op = () => ({ signal: new AbortController().signal, progress: async () => undefined, log: async () => undefined });

  it('a rollback right after a deploy waits for the earlier revision to stop, then serves it', async () => {
    const repo = new ServiceRepo(tempDir('deploy-race-repo-'));
    const dataDir = tempDir();
    const target = new LocalDeployTarget({ docker, dataDir });
    const deployRef = (ref: string) => target.deploy({ service: 'race-svc', region: REGION, env: 'dev', source: { kind: 'git', repo: repo.dir, ref, dockerfilePath: 'Dockerfile', buildContext: '.' }, envVars: {}, deploy: {} }, op());
    try {
      repo.commit({ Dockerfile: SERVICE_DOCKERFILE, 'www/index.html': 'one\n' }, 'one');
      const one = await deployRef('main');
      repo.commit({ 'www/index.html': 'two\n' }, 'two');
      await deployRef('main');
      // At once: revision one is still being stopped in the background.
      const back = await target.rollback({ service: 'race-svc', region: REGION, env: 'dev', reason: 'race' }, op());
      assert.equal(back.to_revision, one.revision);
      await new Promise((r) => setTimeout(r, 3000)); // longer than the stop's grace
      assert.deepEqual(await get(one.service_url), { status: 200, body: 'one\n' });
      assert.equal((await target.status('race-svc', REGION)).status, 'ready');
    } finally {
      await target.deleteService('race-svc', REGION);
      await target.close();
    }
  });

  it('rolls back to "latest" as on Cloud Run: traffic returns to the newest ready revision, and a pin on it is lifted', async () => {
    const repo = new ServiceRepo(tempDir('deploy-latest-repo-'));
    const target = new LocalDeployTarget({ docker, dataDir: tempDir() });
    const rollback = (toRevision?: string) => target.rollback({ service: 'latest-svc', region: REGION, env: 'dev', reason: 'test', ...(toRevision ? { toRevision } : {}) }, op());
    const deployRef = (ref: string) => target.deploy({ service: 'latest-svc', region: REGION, env: 'dev', source: { kind: 'git', repo: repo.dir, ref, dockerfilePath: 'Dockerfile', buildContext: '.' }, envVars: {}, deploy: {} }, op());
    try {
      repo.commit({ Dockerfile: SERVICE_DOCKERFILE, 'www/index.html': 'one\n' }, 'one');
      const one = await deployRef('main');
      repo.commit({ 'www/index.html': 'two\n' }, 'two');
      const two = await deployRef('main');
      await assert.rejects(rollback('latest'), (err: Error & { code?: string }) => err.code === 'invalid_state' && /latest revision .* already serves all traffic/.test(err.message));

      const back = await rollback();
      assert.equal(back.to_revision, one.revision);
      assert.match(back.warnings!.join(' '), /roll back to "latest"/, 'the pin warning says how to undo it');
      const forward = await rollback('latest');
      assert.deepEqual([forward.from_revision, forward.to_revision, forward.warnings], [one.revision, two.revision, undefined]);
      assert.deepEqual(await get(two.service_url), { status: 200, body: 'two\n' });
      const s = await target.status('latest-svc', REGION);
      assert.deepEqual([s.status, s.serving_revision], ['ready', two.revision]);

      // Pinned by name to the newest revision: "latest" changes no traffic, only lifts the pin.
      await rollback(one.revision);
      await rollback(two.revision);
      const unpinned = await rollback('latest');
      assert.deepEqual([unpinned.from_revision, unpinned.to_revision], [two.revision, two.revision]);
      await assert.rejects(rollback('latest'), /already serves all traffic/);
      await assert.rejects(rollback('latest-svc-99999-zzz'), /has no revision latest-svc-99999-zzz; revisions: .*, or "latest" for the newest ready one/);
    } finally {
      await target.deleteService('latest-svc', REGION);
      await target.close();
    }
  });

  it('listens on the service\'s address again and serves the same revision', async () => {
    const repo = new ServiceRepo(tempDir('deploy-restart-repo-'));
    repo.commit({ Dockerfile: SERVICE_DOCKERFILE, 'www/index.html': 'still here\n' }, 'v1');
    const dataDir = tempDir();
    const first = new LocalDeployTarget({ docker, dataDir });
    let second: LocalDeployTarget | undefined;
    try {
      const out = await first.deploy({ service: 'restart-svc', region: REGION, env: 'dev', source: { kind: 'git', repo: repo.dir, ref: 'main', dockerfilePath: 'Dockerfile', buildContext: '.' }, envVars: { GREETING: 'x' }, deploy: {} }, op());
      await first.close();
      await assert.rejects(get(out.service_url), 'the address closes with the backend');
      second = new LocalDeployTarget({ docker, dataDir });
      const s = await second.status('restart-svc', REGION);
      assert.equal(s.status, 'ready');
      assert.equal(s.service_url, out.service_url, 'the same address');
      assert.deepEqual(await get(out.service_url), { status: 200, body: 'still here\n' });
      const spec = await second.describe('restart-svc', REGION);
      assert.deepEqual(spec?.envVars, { GREETING: 'x' }, 'the blueprint sees what was deployed');
    } finally {
      const t = second ?? first;
      await t.deleteService('restart-svc', REGION);
      await t.close();
    }
  });
});
