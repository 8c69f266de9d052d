import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { request, until, tempDir } from '../helpers/backend';
import { freshDatabase } from '../helpers/postgres';
import { containersWithLabel, dockerCli, ensureDockerAndWorkerImage, inspectContainer, spawnDockerServe, startDockerBackend, type DockerServeProcess, type DockerTestBackend } from '../helpers/docker';
import { DOCKER_TEST_TOOLS, mountsForTests } from '../helpers/docker-tools';
import type Dockerode from 'dockerode';
import { dockerClient } from '../../backend/executors/docker-client';
import { WORKER_IMAGE, WORKER_IMAGE_REF } from '../../backend/executors/docker-images';
import { parseGpuCsv } from '../../backend/executors/nvidia-smi';
import { LABELS } from '../../backend/executors/docker-hardening';
import { addImageToAllowlist, allowContainer } from '../../backend/executors/docker-allowlist';
import { collectContainers } from '../../backend/executors/docker-context';
import { workerAuditFor, workerStoreId, type WorkerAuditRow } from '../../backend/executors/docker-audit';
import { checkMounts } from '../../backend/executors/docker-mounts';
import type { Run, RunEvent } from '../../contracts/rest';

/**
 * The Docker executor against a real engine (started by scripts/ensure-docker.sh when none
 * runs). Nothing here skips: without an engine, the `before` hook fails and says why.
 */
describe('docker workers (real engine)', function () {
  this.timeout(120_000);
  let t: DockerTestBackend;
  let roDir: string;

  before(async function () {
    this.timeout(20 * 60_000); // first run on a bare machine: apt-get install docker.io, then the image
    ensureDockerAndWorkerImage();
    roDir = tempDir('product-os-docker-ro-');
    fs.writeFileSync(path.join(roDir, 'note.txt'), 'read me\n');
    fs.chmodSync(roDir, 0o755); // the worker runs as uid 10001: what it reads must be readable by others
    t = await startDockerBackend({ executor: { mounts: mountsForTests(roDir), wantsOutputDir: (tool) => tool.name === 'test.docker_hardening', gpuProbe: async () => [] } });
  });
  after(async () => {
    await t?.close();
  });

  const submit = async (tool: keyof typeof DOCKER_TEST_TOOLS, input: unknown, b = t): Promise<Run> => (await b.backend.engine.submit({ tool, input, caller: 'test' })).run;
  const finish = (run: Run, b = t) => b.backend.engine.waitForTerminal(run.id);
  const audit = (run: Run, b = t) => workerAuditFor(b.backend.db, run.id);
  /** The container of a run, once its worker has started (cold) or been assigned (pool). */
  const containerOf = async (run: Run, b = t): Promise<string> =>
    until(async () => (await audit(run, b)).find((r) => r.action === 'start' || r.action === 'assign')?.container_id, `a worker for run ${run.id}`, 30_000);
  const gone = (id: string) => until(async () => inspectContainer(id) === null, `container ${id.slice(0, 12)} removed`, 30_000);
  const stopRow = (run: Run, b = t) => until(async () => (await audit(run, b)).find((r) => r.action === 'stop'), `the stop row of run ${run.id}`, 30_000);

  it('runs a job in a worker, returns its output, audits start and stop, and removes the container', async () => {
    const run = await submit('test.docker_echo', { message: 'hello', n: 3 });
    const done = await finish(run);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.deepEqual(done.output, { message: 'hello', n: 3 });
    const stop = await stopRow(run);
    const rows = await audit(run);
    assert.deepEqual(rows.map((r) => r.action), ['start', 'stop']);
    assert.equal(rows[0]!.session, t.instanceId);
    assert.equal(stop.outcome, 'succeeded');
    assert.equal(stop.details.exitCode, 0);
    await gone(rows[0]!.container_id!);
    assert.deepEqual(containersWithLabel(`${LABELS.run}=${run.id}`), []);
  });

  it('hardens every worker: read back with docker inspect, and from inside the live worker', async () => {
    const run = await submit('test.docker_hardening', { ms: 60_000 });
    const id = await containerOf(run);
    const c = inspectContainer(id);
    assert.ok(c, 'the worker is live');
    const h = c.HostConfig;
    assert.deepEqual(h.CapDrop, ['ALL']);
    assert.ok(!h.CapAdd || h.CapAdd.length === 0);
    assert.deepEqual(h.SecurityOpt, ['no-new-privileges']);
    assert.equal(h.Privileged, false);
    assert.equal(h.ReadonlyRootfs, true);
    assert.match(h.Tmpfs['/tmp'], /size=16m/);
    assert.equal(h.Init, true);
    assert.equal(c.Config.User, '10001:10001');
    assert.equal(h.Memory, 128 * 1024 * 1024);
    assert.equal(h.MemorySwap, 128 * 1024 * 1024);
    assert.equal(h.NanoCpus, 0.5e9);
    assert.equal(h.PidsLimit, 32);
    assert.equal(h.NetworkMode, 'none');
    assert.ok(Object.keys(c.NetworkSettings.Networks ?? {}).every((n) => n === 'none'), 'attached to no network');
    assert.equal(h.Binds, null);
    // Mounts: the read-only folder, and the run's own output folder (the only writable one).
    const mounts = c.Mounts.map((m: any) => ({ dst: m.Destination, rw: m.RW, src: m.Source }));
    assert.deepEqual(mounts.map((m: any) => [m.dst, m.rw]).sort(), [['/data', false], ['/out', true]]);
    assert.equal(mounts.find((m: any) => m.dst === '/out').src, path.join(fs.realpathSync(t.dataDir), 'worker-output', run.id));
    assert.ok(!JSON.stringify(c.Mounts).includes('docker.sock'), 'no Docker socket inside');
    assert.equal(c.Config.Labels[LABELS.session], t.instanceId);
    assert.equal(c.Config.Labels[LABELS.run], run.id);
    assert.equal(c.Config.Labels[LABELS.store], await workerStoreId(t.backend.db));
    assert.equal(c.Config.Labels[LABELS.tool], 'test.docker_hardening');

    // From inside: not root, no capabilities, no new privileges, root filesystem and /data read-only, /out writable.
    const probe = `
      const fs = require('fs');
      const status = fs.readFileSync('/proc/self/status', 'utf8');
      const field = (k) => status.split('\\n').find((l) => l.startsWith(k + ':')).split(/\\s+/)[1];
      const tryWrite = (p) => { try { fs.writeFileSync(p, 'x'); return 'ok'; } catch (e) { return e.code; } };
      console.log(JSON.stringify({ uid: process.getuid(), capEff: field('CapEff'), noNewPrivs: field('NoNewPrivs'),
        root: tryWrite('/x'), data: tryWrite('/data/x'), out: tryWrite('/out/x'), tmp: tryWrite('/tmp/x'),
        note: fs.readFileSync('/data/note.txt', 'utf8'), ifaces: Object.keys(require('os').networkInterfaces()), sock: fs.existsSync('/var/run/docker.sock') || fs.existsSync('/run/docker.sock') }));`;
    const inside = JSON.parse(dockerCli(['exec', id, '/usr/local/bin/node', '-e', probe]));
    assert.deepEqual(inside, { uid: 10001, capEff: '0000000000000000', noNewPrivs: '1', root: 'EROFS', data: 'EROFS', out: 'ok', tmp: 'ok', note: 'read me\n', ifaces: ['lo'], sock: false });
    assert.ok(fs.existsSync(path.join(t.dataDir, 'worker-output', run.id, 'x')), 'what the worker wrote in /out is in the run\'s output folder');

    await t.api('POST', `/api/runs/${run.id}/cancel`);
    assert.equal((await finish(run)).status, 'cancelled');
    await gone(id);
  });

  it('a tool that needs the local LLM gets an internal Docker network only, with no route off the host', async () => {
    const run = await submit('test.docker_llm_net', { ms: 60_000 });
    const id = await containerOf(run);
    const c = inspectContainer(id);
    assert.equal(c.HostConfig.NetworkMode, 'product-os-llm');
    assert.deepEqual(Object.keys(c.NetworkSettings.Networks), ['product-os-llm']);
    assert.equal(JSON.parse(dockerCli(['network', 'inspect', 'product-os-llm']))[0].Internal, true);
    const probe = `const s = require('net').connect({ host: '1.1.1.1', port: 53, timeout: 2000 });
      s.on('connect', () => { console.log('connected'); process.exit(0); });
      s.on('timeout', () => { console.log('timeout'); process.exit(0); });
      s.on('error', (e) => { console.log(e.code); process.exit(0); });`;
    assert.notEqual(dockerCli(['exec', id, '/usr/local/bin/node', '-e', probe]).trim(), 'connected');
    await t.api('POST', `/api/runs/${run.id}/cancel`);
    assert.equal((await finish(run)).status, 'cancelled');
    await gone(id);
  });

  it('refuses mounts that would reach the Docker engine or the host, and writable mounts other than the output folder', () => {
    const out = tempDir('product-os-out-');
    assert.throws(() => checkMounts([{ source: '/var/run', target: '/x', readOnly: true }], {}), /Docker engine or the host/);
    assert.throws(() => checkMounts([{ source: '/', target: '/x', readOnly: true }], {}), /Docker engine or the host/);
    assert.throws(() => checkMounts([{ source: roDir, target: '/x', readOnly: false }], { outputDir: out }), /only the run's own output folder/);
    assert.throws(() => checkMounts([{ source: roDir, target: '/usr/lib', readOnly: true }], {}), /image's own files/);
    assert.equal(checkMounts([{ source: out, target: '/out', readOnly: false }], { outputDir: out }).length, 1);
  });

  it('refuses an image that is not on the allowlist: clear error, audit rows, no container created', async () => {
    const before = containersWithLabel(`${LABELS.session}=${t.instanceId}`);
    const run = await submit('test.docker_forbidden', { message: 'x' });
    const done = await finish(run);
    assert.equal(done.status, 'failed');
    assert.equal(done.error?.code, 'not_configured');
    assert.match(done.error!.message, /"evil\/miner:latest", which is not on the worker image allowlist .*no container was started/);
    const rows = await audit(run);
    assert.deepEqual(rows.map((r) => [r.action, r.outcome, r.container_id]), [['refuse', 'image_not_allowlisted', null]]);
    const logged = await t.backend.db.query<{ action: string; outcome: string }>('SELECT action, outcome FROM audit_log WHERE run_id = $1 AND action = $2', [run.id, 'worker.start']);
    assert.deepEqual(logged, [{ action: 'worker.start', outcome: 'refused:image_not_allowlisted' }]);
    assert.deepEqual(containersWithLabel(`${LABELS.run}=${run.id}`), []);
    assert.deepEqual(containersWithLabel(`${LABELS.session}=${t.instanceId}`), before);
  });

  it('runs an image allowlisted in the store, pinned by digest', async () => {
    dockerCli(['tag', WORKER_IMAGE_REF, 'product-os/test-extra:1']);
    try {
      const refused = await finish(await submit('test.docker_extra', { message: 'not yet' }));
      assert.equal(refused.error?.code, 'not_configured');
      const id = dockerCli(['image', 'inspect', '--format', '{{.Id}}', 'product-os/test-extra:1']).trim();
      await addImageToAllowlist(t.backend.db, { image: 'product-os/test-extra', tag: '1', digest: id });
      const done = await finish(await submit('test.docker_extra', { message: 'pinned' }));
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.deepEqual(done.output, { message: 'pinned' });
    } finally {
      await t.backend.db.query(`DELETE FROM worker_image_allowlist WHERE image_name = 'product-os/test-extra'`);
      dockerCli(['rmi', 'product-os/test-extra:1']);
    }
  });

  it('refuses an allowlisted image that needs a GPU this host does not have', async () => {
    await addImageToAllowlist(t.backend.db, { image: 'product-os/test-gpu', tag: '1', requiresGpu: true, minVramMb: 8000 });
    try {
      const run = await submit('test.docker_gpu', { message: 'x' });
      const done = await finish(run);
      assert.equal(done.error?.code, 'not_configured');
      assert.match(done.error!.message, /needs a GPU with at least 8000 MiB of memory .* this host has none/);
      assert.deepEqual(containersWithLabel(`${LABELS.run}=${run.id}`), []);
    } finally {
      await t.backend.db.query(`DELETE FROM worker_image_allowlist WHERE image_name = 'product-os/test-gpu'`);
    }
  });

  it('keeps at most the per-run cap of log lines, says so once, and the run still succeeds', async () => {
    const c = await startDockerBackend({ executor: { maxLogLines: 3, gpuProbe: async () => [] } });
    try {
      const run = await submit('test.docker_log_lines', { lines: 8, ms: 0 }, c);
      const done = await finish(run, c);
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.deepEqual(done.output, { lines: 8 });
      const logs = (await c.backend.engine.events(run.id)).filter((e) => e.type === 'log').map((e) => (e.data as { level: string; message: string }));
      assert.deepEqual(logs.map((l) => l.message), ['line 1 of 8', 'line 2 of 8', 'line 3 of 8', 'the worker printed more than 3 log lines; the rest are not kept']);
      assert.equal(logs[3]!.level, 'warn');
      await c.backend.context.logger.flush();
      assert.equal((await c.api<{ lines: unknown[] }>('GET', `/api/logs?runId=${run.id}`)).body.lines.length, 4, 'the log store holds the same four');
    } finally {
      await c.close();
    }
  });

  it('hands the GPUs that fit (recorded nvidia-smi) to docker create as DeviceRequests, by UUID', async () => {
    // Two A100 40GB and a 4 GiB laptop card, as `nvidia-smi --query-gpu=… --format=csv,noheader,nounits` prints them.
    const recorded = parseGpuCsv(
      '0, NVIDIA A100-SXM4-40GB, GPU-0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9, 40960, 35210, 87, 61, 312.45\n' +
        '1, NVIDIA A100-SXM4-40GB, GPU-9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0, 40960, 4, 0, 29, 54.10\n' +
        '2, NVIDIA GeForce GTX 1650 Ti, GPU-1d2e3f40-5162-7384-95a6-b7c8d9e0f1a2, 4096, 512, 3, 46, [N/A]\n',
    ).rows;
    // The real engine, with every create request recorded on its way (and what the engine stored).
    const docker = dockerClient();
    const sent: Dockerode.ContainerCreateOptions[] = [];
    const stored: unknown[] = [];
    const create = docker.createContainer.bind(docker);
    docker.createContainer = (async (opts: Dockerode.ContainerCreateOptions) => {
      sent.push(opts);
      const c = await create(opts);
      stored.push((await c.inspect()).HostConfig.DeviceRequests);
      return c;
    }) as typeof docker.createContainer;
    const g = await startDockerBackend({ executor: { docker, images: [{ ...WORKER_IMAGE, requiresGpu: true, minVramMb: 16_384 }], gpuProbe: async () => recorded } });
    try {
      const run = await submit('test.docker_echo', { message: 'gpu' }, g);
      await finish(run, g);
      const ids = ['GPU-0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9', 'GPU-9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0'];
      const forRun = sent.filter((o) => o.Labels?.[LABELS.run] === run.id);
      assert.ok(forRun.length >= 1, 'a worker was created for the run');
      for (const o of forRun) assert.deepEqual(o.HostConfig?.DeviceRequests, [{ Driver: 'nvidia', DeviceIDs: ids, Capabilities: [['gpu']] }]);
      // Where the engine took the request (it may refuse it at create without the NVIDIA
      // runtime), it stored the same devices.
      for (const d of stored as Array<Array<{ Driver: string; DeviceIDs: string[]; Capabilities: string[][] }>>) {
        assert.deepEqual(d.map((x) => [x.Driver, x.DeviceIDs, x.Capabilities]), [['nvidia', ids, [['gpu']]]]);
      }
      // However it ended (this host has none of those GPUs), nothing of it is left behind.
      await until(async () => containersWithLabel(`${LABELS.run}=${run.id}`).length === 0, 'its workers removed', 30_000);
    } finally {
      await g.close();
    }
  });

  it('collects what the ops tasks may know of allowlisted containers: networks, ports, env names and references, never values', async () => {
    const tag = randomUUID().slice(0, 8);
    const net = `product-os-test-${tag}`;
    const names = { db: `po-test-db-${tag}`, web: `po-test-web-${tag}`, other: `po-test-other-${tag}` };
    dockerCli(['network', 'create', '--internal', net]);
    const run = (name: string, args: string[]) => dockerCli(['run', '-d', '-i', '--name', name, '--network', net, ...args, WORKER_IMAGE_REF]).trim();
    const ids: string[] = [];
    try {
      ids.push(run(names.db, ['--network-alias', 'database', '-e', 'POSTGRES_PASSWORD=hunter2']));
      ids.push(run(names.web, ['-e', 'DATABASE_URL=postgres://app:hunter2@database:5432/app', '-e', 'PLAIN=1', '--expose', '8080']));
      ids.push(run(names.other, []));
      await allowContainer(t.backend.db, { name: names.db });
      await allowContainer(t.backend.db, { containerId: ids[1]!.slice(0, 12) });
      const facts = await collectContainers(t.executor.docker, t.backend.db, { includeStopped: false });
      assert.deepEqual(facts.map((f) => f.name).sort(), [names.db, names.web].sort());
      const web = facts.find((f) => f.name === names.web)!;
      assert.deepEqual(web.networks.map((n) => n.name), [net]);
      assert.deepEqual(web.ports, [{ container_port: 8080, host_port: null, protocol: 'tcp' }]);
      assert.ok(web.env_names.includes('DATABASE_URL') && web.env_names.includes('PLAIN'));
      assert.deepEqual(web.env_references, [{ name: 'DATABASE_URL', to: ids[0] }]);
      assert.ok(!JSON.stringify(facts).includes('hunter2'), 'no environment value leaves the backend');
    } finally {
      for (const id of ids) dockerCli(['rm', '-f', id]);
      dockerCli(['network', 'rm', net]);
      await t.backend.db.query(`DELETE FROM container_allowlist WHERE name = $1 OR container_id = $2`, [names.db, ids[1]?.slice(0, 12) ?? '']);
    }
  });

  it('a worker that outlives the tool timeout is killed and the run times out', async () => {
    const run = await submit('test.docker_sleep_short', { ms: 30_000 });
    const id = await containerOf(run);
    const done = await finish(run);
    assert.equal(done.status, 'timed_out');
    assert.equal(done.error?.code, 'timed_out');
    await gone(id);
    assert.equal((await stopRow(run)).outcome, 'timed_out');
  });

  it('a worker killed by the OOM killer fails the run with "out of memory"', async () => {
    const run = await submit('test.docker_allocate', { mb: 512 });
    const done = await finish(run);
    assert.equal(done.status, 'failed');
    assert.equal(done.error?.code, 'executor_failed');
    assert.match(done.error!.message, /ran out of memory: its worker was killed at its 64 MiB limit/);
    assert.equal((done.error!.details as { reason: string }).reason, 'out_of_memory');
    const stop = await stopRow(run);
    assert.equal(stop.outcome, 'out_of_memory');
    assert.equal(stop.details.oomKilled, true);
  });

  it('a worker that exits without a result (killed from outside) fails the run with its exit code', async () => {
    const run = await submit('test.docker_sleep', { ms: 60_000 });
    const id = await containerOf(run);
    dockerCli(['kill', id]);
    const done = await finish(run);
    assert.equal(done.status, 'failed');
    assert.match(done.error!.message, /worker exited with code 137 without a result/);
    await gone(id);
  });

  it('streams log lines and progress into the run live, before the result', async () => {
    const seen: Array<{ at: number; e: RunEvent }> = [];
    let endedAt = 0;
    const bus = t.backend.context.bus;
    let off = () => {};
    const offRun = bus.onRun((r) => {
      if (r.tool !== 'test.docker_log_lines') return;
      if (r.status === 'queued' || r.status === 'dispatching') {
        off();
        off = bus.onRunEvents(r.id, (e) => seen.push({ at: Date.now(), e }));
      }
      if (r.status === 'succeeded') endedAt = Date.now();
    });
    try {
      const run = await submit('test.docker_log_lines', { lines: 4, ms: 400 });
      const done = await finish(run);
      assert.equal(done.status, 'succeeded');
      const mine = seen.filter((s) => s.e.runId === run.id);
      const logs = mine.filter((s) => s.e.type === 'log');
      assert.deepEqual(logs.map((s) => (s.e.data as { message: string }).message), ['line 1 of 4', 'line 2 of 4', 'line 3 of 4', 'line 4 of 4']);
      assert.equal(mine.filter((s) => s.e.type === 'progress').length, 4);
      // Live: the first line arrived while the worker still had ~1.2 s of lines to go.
      assert.ok(endedAt - logs[0]!.at > 800, `first log line ${endedAt - logs[0]!.at} ms before the result`);
      const stored = await t.backend.engine.events(run.id);
      const firstLog = stored.findIndex((e) => e.type === 'log');
      const result = stored.findIndex((e) => e.type === 'state' && (e.data as { to: string }).to === 'succeeded');
      assert.ok(firstLog >= 0 && firstLog < result, 'log events are stored before the result');
    } finally {
      off();
      offRun();
    }
  });

  it('cancelling a run kills and removes its worker', async () => {
    const run = await submit('test.docker_sleep', { ms: 60_000 });
    const id = await containerOf(run);
    assert.equal(inspectContainer(id)?.State.Running, true);
    await t.api('POST', `/api/runs/${run.id}/cancel`);
    const done = await finish(run);
    assert.equal(done.status, 'cancelled');
    // The worker sleeps for a minute: its removal within gone()'s bound is the kill.
    await gone(id);
    assert.equal((await stopRow(run)).outcome, 'cancelled');
  });

  /** A long-lived container labelled like a worker of `store`/`session` (stdin open: it waits). */
  const fakeWorker = (store: string, session: string) =>
    dockerCli(['run', '-d', '-i', '--network', 'none', '--label', `${LABELS.managed}=true`, '--label', `${LABELS.store}=${store}`, '--label', `${LABELS.session}=${session}`, '--label', `${LABELS.run}=${randomUUID()}`, WORKER_IMAGE_REF]).trim();

  describe('sweep', () => {

    it('removes workers whose backend session is gone, keeps its own and other stores\' workers', async () => {
      const store = await workerStoreId(t.backend.db);
      const orphan = fakeWorker(store, randomUUID());
      const mine = fakeWorker(store, t.instanceId);
      const otherStore = fakeWorker(randomUUID(), randomUUID());
      try {
        const result = await t.executor.sweep();
        assert.deepEqual(result.removed.map((r) => r.id), [orphan]);
        assert.equal(inspectContainer(orphan), null);
        assert.ok(inspectContainer(mine));
        assert.ok(inspectContainer(otherStore));
        const rows = await t.backend.db.query<WorkerAuditRow>(`SELECT * FROM worker_audit WHERE action = 'sweep' AND container_id = $1`, [orphan]);
        assert.equal(rows.length, 1);
      } finally {
        for (const id of [orphan, mine, otherStore]) dockerCli(['rm', '-f', id]);
      }
    });

    it('at start-up, a backend on the same store removes the workers of the one before it', async () => {
      const dataDir = tempDir('product-os-docker-sweep-');
      const first = await startDockerBackend({ dataDir });
      const store = await workerStoreId(first.backend.db);
      const session = first.instanceId;
      await first.close();
      // What a backend killed mid-job leaves behind: a worker still running with its labels.
      const left = fakeWorker(store, session);
      const second = await startDockerBackend({ dataDir });
      try {
        assert.deepEqual(second.swept.removed.map((r) => r.id), [left]);
        assert.equal(inspectContainer(left), null);
      } finally {
        await second.close();
        dockerCli(['rm', '-f', left]);
      }
    });

    it('kill -9 of the backend mid-job, then a restart: no orphan container is left, and the run is settled', async function () {
      this.timeout(180_000);
      const dataDir = tempDir('product-os-docker-kill-');
      let proc: DockerServeProcess | null = await spawnDockerServe(dataDir, 1);
      const session = proc.instanceId;
      try {
        const created = await request<Run>(proc.url, proc.token, 'POST', '/api/runs', { tool: 'test.docker_sleep', input: { ms: 120_000 } });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const runId = created.body.id;
        await until(async () => (await request<Run>(proc!.url, proc!.token, 'GET', `/api/runs/${runId}`)).body.status === 'running', 'the run running', 30_000);
        // The job's worker (from the warm pool) and the pool's replacement, both running.
        await until(async () => containersWithLabel(`${LABELS.session}=${session}`).filter((id) => inspectContainer(id)?.State.Running).length === 2, 'two live workers', 30_000);
        proc.child.kill('SIGKILL');
        assert.equal(await proc.exited, null, 'killed by signal');
        proc = null;
        const left = containersWithLabel(`${LABELS.session}=${session}`);
        assert.ok(left.length >= 1, 'the killed backend left its workers behind');

        const next = await startDockerBackend({ dataDir });
        try {
          assert.deepEqual(containersWithLabel(`${LABELS.session}=${session}`), [], 'no orphan container');
          assert.deepEqual(next.swept.removed.map((r) => r.id).sort(), [...left].sort());
          assert.ok(next.swept.removed.some((r) => r.run === runId), 'the sweep names the run its worker served');
          const run = await next.backend.engine.waitForTerminal(runId);
          assert.equal(run.status, 'failed');
          assert.equal(run.error?.code, 'backend_crashed');
          const swept = await next.backend.db.query<WorkerAuditRow>(`SELECT * FROM worker_audit WHERE action = 'sweep' AND run_id = $1`, [runId]);
          assert.equal(swept.length, 1);
        } finally {
          await next.close();
        }
      } finally {
        if (proc && proc.child.exitCode === null) proc.child.kill('SIGKILL');
        for (const id of containersWithLabel(`${LABELS.session}=${session}`)) dockerCli(['rm', '-f', id]); // only when an assertion failed
      }
    });
  });

  describe('on PostgreSQL (a store several backends share)', () => {
    it('a backend starting on a shared store keeps the workers of live backends and removes only the orphans', async function () {
      this.timeout(120_000);
      const pg = await freshDatabase();
      const a = await startDockerBackend({ env: { DATABASE_URL: pg.url } });
      let orphan = '';
      try {
        const run = await submit('test.docker_sleep', { ms: 60_000 }, a);
        const id = await containerOf(run, a);
        orphan = fakeWorker(await workerStoreId(a.backend.db), randomUUID());
        const b = await startDockerBackend({ env: { DATABASE_URL: pg.url } });
        try {
          assert.equal(await workerStoreId(b.backend.db), await workerStoreId(a.backend.db));
          assert.deepEqual(b.swept.removed.map((r) => r.id), [orphan]);
          assert.equal(inspectContainer(id)?.State.Running, true, 'the live backend\'s worker is kept');
        } finally {
          await b.close();
        }
        await a.api('POST', `/api/runs/${run.id}/cancel`);
        assert.equal((await finish(run, a)).status, 'cancelled');
        await gone(id);
      } finally {
        await a.close();
        if (orphan && inspectContainer(orphan)) dockerCli(['rm', '-f', orphan]);
        await pg.drop();
      }
    });
  });

  describe('warm pool', () => {
    let p: DockerTestBackend;
    before(async () => {
      p = await startDockerBackend({ executor: { pool: { [WORKER_IMAGE_REF]: 2 }, poolResources: { memory_mb: 128, cpus: 0.5, pids: 32 } } });
      await p.executor.poolReady(60_000);
    });
    after(() => p?.close());

    const pooledIds = () => containersWithLabel(`${LABELS.session}=${p.instanceId}`).filter((id) => inspectContainer(id)?.Config.Labels[LABELS.run] === 'pool');

    it('keeps idle, hardened workers waiting, and dispatches a run to one without a create or start', async () => {
      assert.equal(p.executor.poolIdle(WORKER_IMAGE_REF), 2);
      const idle = pooledIds();
      assert.equal(idle.length, 2);
      for (const id of idle) {
        const c = inspectContainer(id);
        assert.equal(c.State.Running, true);
        assert.deepEqual(c.HostConfig.CapDrop, ['ALL']);
        assert.equal(c.HostConfig.ReadonlyRootfs, true);
        assert.equal(c.HostConfig.NetworkMode, 'none');
        assert.deepEqual(c.Mounts, []);
      }
      const run = await submit('test.docker_echo', { message: 'warm' }, p);
      const done = await finish(run, p);
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.deepEqual(done.output, { message: 'warm' });
      const rows = await audit(run, p);
      assert.equal(rows[0]!.action, 'assign', 'taken from the pool, not started for the run');
      assert.ok(idle.includes(rows[0]!.container_id!), 'one of the workers that were idle before the call');
      // One job per worker: the one that ran is removed, and the pool is full again.
      await gone(rows[0]!.container_id!);
      await until(async () => p.executor.poolIdle(WORKER_IMAGE_REF) === 2, 'the pool refilled', 30_000);
      assert.ok(!pooledIds().includes(rows[0]!.container_id!));
    });

    it('gives a pooled worker the limits of the run\'s tool before its job', async () => {
      const run = await submit('test.docker_sleep', { ms: 60_000 }, p);
      const id = await containerOf(run, p);
      assert.equal((await audit(run, p))[0]!.action, 'assign');
      const c = inspectContainer(id);
      assert.equal(c.HostConfig.Memory, 128 * 1024 * 1024);
      await p.api('POST', `/api/runs/${run.id}/cancel`);
      assert.equal((await finish(run, p)).status, 'cancelled');
      await gone(id);

      const big = await submit('test.docker_echo_big', { message: 'resized' }, p);
      assert.equal((await finish(big, p)).status, 'succeeded');
      const assign = (await audit(big, p)).find((r) => r.action === 'assign')!;
      assert.deepEqual(assign.details.resources, { memory_mb: 192, cpus: 1, pids: 48 });
    });

    it('many runs in a row each get their own worker, never one used before', async () => {
      const runs = await Promise.all(Array.from({ length: 6 }, (_, i) => submit('test.docker_echo', { message: `m${i}` }, p)));
      const done = await Promise.all(runs.map((r) => finish(r, p)));
      assert.deepEqual(done.map((d) => d.status), Array(6).fill('succeeded'));
      assert.deepEqual(done.map((d) => (d.output as { message: string }).message), runs.map((_, i) => `m${i}`));
      const containers = await Promise.all(runs.map(async (r) => (await audit(r, p)).find((x) => x.action === 'start' || x.action === 'assign')!.container_id));
      assert.equal(new Set(containers).size, 6);
    });
  });

  // Dispatch latency (cold, warm, vs plain docker run --rm) is a figure, not a pass/fail
  // test: `npm run bench -- docker-dispatch` measures and prints it.
});
