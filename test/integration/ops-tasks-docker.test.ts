import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { dockerCli, ensureDockerAndWorkerImage, startDockerBackend, type DockerTestBackend } from '../helpers/docker';
import { WORKER_IMAGE_REF } from '../../backend/executors/docker-images';
import { allowContainer } from '../../backend/executors/docker-allowlist';
import { jobContextFor } from '../../backend/executors/docker-context';
import { probeGpuReport } from '../../backend/executors/docker-gpu';
import { describeSmiFailure, parseGpuCsv } from '../../backend/executors/nvidia-smi';
import type { Run } from '../../contracts/rest';
import type { GpuReport } from '../../contracts/tasks/gpu-report';
import type { ServiceMap } from '../../contracts/tasks/service-map';

/**
 * The ops tasks gpu_report and service_map, end to end against the real Docker engine: the
 * backend collects what the tasks may know (allowlisted containers, nvidia-smi), a hardened
 * worker builds the report, the engine validates it against the registry. The test starts its
 * own containers on an internal network of its own and removes them after. Nothing here
 * skips: without an engine, the `before` hook fails and says why.
 */
describe('ops tasks in Docker workers (real engine): service_map, gpu_report', function () {
  this.timeout(120_000);
  const tag = randomUUID().slice(0, 8);
  const testLabel = `product-os.test=ops-${tag}`;
  const net = `po-ops-net-${tag}`;
  const names = { db: `po-ops-db-${tag}`, api: `po-ops-api-${tag}`, cache: `po-ops-cache-${tag}`, outsider: `po-ops-outsider-${tag}`, stopped: `po-ops-stopped-${tag}` };
  // Environment VALUES that must never leave the backend. (DB_HOST's value is a container's
  // name, which the map shows as that container's name; every other value is checked.)
  const secrets = {
    POSTGRES_PASSWORD: `pg-secret-${tag}`,
    DB_PASSWORD: `db-secret-${tag}`,
    DATABASE_URL: `postgres://app:url-secret-${tag}@database:5432/app`,
    OUTSIDER_TOKEN: `outsider-secret-${tag}`,
  };
  const ids: Record<string, string> = {};
  let t: DockerTestBackend;
  let raw: DockerTestBackend | undefined;

  /** An idle container of the worker image (it waits for a job on its open stdin), on `net`. */
  const start = (name: string, args: string[], create = false) =>
    dockerCli([
      create ? 'create' : 'run',
      ...(create ? [] : ['-d']),
      '-i',
      '--name',
      name,
      '--label',
      testLabel,
      '--network',
      net,
      '--cap-drop',
      'ALL',
      '--security-opt',
      'no-new-privileges',
      '--read-only',
      '--memory',
      '64m',
      ...args,
      WORKER_IMAGE_REF,
    ]).trim();

  before(async function () {
    this.timeout(20 * 60_000); // a bare machine: apt-get install docker.io, then the image
    ensureDockerAndWorkerImage();
    dockerCli(['network', 'create', '--internal', '--label', testLabel, net]);
    ids.db = start(names.db, ['--network-alias', 'database', '--expose', '5432', '-e', `POSTGRES_PASSWORD=${secrets.POSTGRES_PASSWORD}`]);
    ids.api = start(names.api, ['--expose', '8080', '-e', `DB_HOST=${names.db}`, '-e', `DB_PASSWORD=${secrets.DB_PASSWORD}`, '-e', `DATABASE_URL=${secrets.DATABASE_URL}`]);
    ids.cache = start(names.cache, []);
    ids.outsider = start(names.outsider, ['-e', `OUTSIDER_TOKEN=${secrets.OUTSIDER_TOKEN}`, '-e', `API=${names.api}`]);
    ids.stopped = start(names.stopped, [], true);
    // The gpu_report context reads a recorded host with no nvidia-smi (every host gives the same
    // answer); a recorded two-GPU host is the second backend below.
    t = await startDockerBackend({ executor: { jobContext: jobContextFor({ gpuProbe: () => probeGpuReport({ run: async () => ({ stdout: '', failure: { errno: 'ENOENT' } }) }) }) } });
    await allowContainer(t.backend.db, { name: names.db });
    await allowContainer(t.backend.db, { containerId: ids.api!.slice(0, 12) });
    await allowContainer(t.backend.db, { name: `/${names.cache}` });
    await allowContainer(t.backend.db, { name: names.stopped });
  });

  after(async function () {
    this.timeout(120_000);
    await raw?.close();
    await t?.close();
    const left = dockerCli(['ps', '-aq', '--filter', `label=${testLabel}`]).split('\n').filter(Boolean);
    if (left.length > 0) dockerCli(['rm', '-f', ...left]);
    dockerCli(['network', 'rm', net]);
  });

  const runTool = async (b: DockerTestBackend, tool: string, input: unknown): Promise<Run> => {
    const { run } = await b.backend.engine.submit({ tool, input, caller: 'test' });
    const done = await b.backend.engine.waitForTerminal(run.id);
    assert.equal(done.status, 'succeeded', `${tool}: ${JSON.stringify(done.error)}`);
    assert.deepEqual(b.backend.registry.get(tool)!.validateOutput(done.output), [], `${tool} output is valid against its outputSchema`);
    // Each run keeps a snapshot of the directive it ran under (D2 for the GPU report, D3 for the map).
    const [{ directive }] = await b.backend.db.query<{ directive: { id: string; text: string } | null }>('SELECT directive FROM runs WHERE id = $1', [run.id]);
    assert.equal(directive?.id, tool === 'ops.gpu_report' ? 'D2' : 'D3');
    assert.ok(directive.text.length > 0);
    return done;
  };

  /** Everything the store keeps about a run: the row, its events, logs, audit and worker audit. */
  const storedRun = async (b: DockerTestBackend, runId: string): Promise<string> => {
    const q = (sql: string) => b.backend.db.query(sql, [runId]);
    const parts = await Promise.all([
      q('SELECT * FROM runs WHERE id = $1'),
      q('SELECT * FROM run_events WHERE run_id = $1'),
      q('SELECT * FROM logs WHERE run_id = $1'),
      q('SELECT * FROM audit_log WHERE run_id = $1'),
      q('SELECT * FROM worker_audit WHERE run_id = $1'),
    ]);
    assert.ok(parts[0]!.length === 1 && parts[1]!.length > 0, 'the run and its events are stored');
    return JSON.stringify([parts, await b.backend.engine.get(runId), await b.backend.engine.events(runId)]);
  };

  const node = (map: ServiceMap, name: string) => {
    const n = map.nodes.find((x) => x.name === name);
    assert.ok(n, `node ${name} in ${JSON.stringify(map.nodes.map((x) => x.name))}`);
    return n;
  };
  const pair = (a: string, b: string) => [a, b].sort().join(' ');

  it('service_map: allowlisted containers as nodes, shared-network and env_reference edges, no env value anywhere', async () => {
    const run = await runTool(t, 'ops.service_map', {});
    const map = run.output as ServiceMap;
    assert.deepEqual(map.nodes.map((n) => n.name).sort(), [names.api, names.cache, names.db].sort(), 'running allowlisted containers only');
    const [db, api, cache] = [node(map, names.db), node(map, names.api), node(map, names.cache)];
    for (const n of [db, api, cache]) {
      assert.deepEqual(n.networks, [net]);
      assert.equal(n.state, 'running');
      assert.equal(n.image, WORKER_IMAGE_REF);
      // DEBUG_REDACTED_MODE is on by default: node ids are masked, and still join the edges.
      assert.match(n.id, /^masked-[0-9a-f]{10}$/);
    }
    assert.equal(new Set(map.nodes.map((n) => n.id)).size, 3);
    assert.deepEqual(db.ports, [{ container_port: 5432, host_port: null, protocol: 'tcp' }]);
    assert.deepEqual(api.ports, [{ container_port: 8080, host_port: null, protocol: 'tcp' }]);
    for (const v of ['DB_HOST', 'DB_PASSWORD', 'DATABASE_URL']) assert.ok(api.env_names.includes(v), `${v} in ${api.env_names}`);
    assert.ok(db.env_names.includes('POSTGRES_PASSWORD'));

    const network = map.edges.filter((e) => e.kind === 'network');
    assert.ok(network.every((e) => e.label === net));
    assert.deepEqual(network.map((e) => pair(e.from, e.to)).sort(), [pair(db.id, api.id), pair(db.id, cache.id), pair(api.id, cache.id)].sort(), 'one network edge per pair');
    const env = map.edges.filter((e) => e.kind === 'env_reference');
    assert.deepEqual(env.map((e) => `${e.from}>${e.to}:${e.label}`).sort(), [`${api.id}>${db.id}:DATABASE_URL`, `${api.id}>${db.id}:DB_HOST`].sort(), 'DB_HOST by name, DATABASE_URL by network alias');
    assert.deepEqual(map.edges.filter((e) => e.kind === 'link'), []);

    const out = JSON.stringify(map);
    const stored = await storedRun(t, run.id);
    for (const [name, value] of Object.entries(secrets)) {
      assert.ok(!out.includes(value), `the value of ${name} is not in the output`);
      assert.ok(!stored.includes(value), `the value of ${name} is not stored with the run`);
    }
    assert.ok(!stored.includes(`DB_HOST=${names.db}`), 'no NAME=value pair is stored');
    for (const id of Object.values(ids)) assert.ok(!stored.includes(id.slice(0, 12)), 'no container id is stored in redacted mode');
    assert.ok(!out.includes(names.outsider), 'a container off the allowlist is not mapped, even when on the same network');
  });

  it('service_map with include_stopped: a created (never started) allowlisted container is a node too', async () => {
    const map = (await runTool(t, 'ops.service_map', { include_stopped: true })).output as ServiceMap;
    assert.deepEqual(map.nodes.map((n) => n.name).sort(), [names.api, names.cache, names.db, names.stopped].sort());
    assert.equal(node(map, names.stopped).state, 'created');
  });

  it('gpu_report on a host without nvidia-smi (recorded): source none with the reason, not an error', async () => {
    const run = await runTool(t, 'ops.gpu_report', {});
    const report = run.output as GpuReport;
    assert.deepEqual([report.source, report.gpus, report.containers], ['none', [], []]);
    assert.equal(report.note, describeSmiFailure({ errno: 'ENOENT' }, 5000));
  });

  it('gpu_report maps GPU processes to allowlisted containers by their host pids (recorded nvidia-smi figures); ids unmasked when redaction is off', async () => {
    // A second backend whose context collection reads a recorded two-GPU host, with one compute
    // process that is the api container's main process as the host sees it, and redaction off.
    const apiPid = Number(dockerCli(['inspect', '-f', '{{.State.Pid}}', ids.api!]).trim());
    assert.ok(apiPid > 0);
    const gpus = parseGpuCsv(
      '0, NVIDIA A100-SXM4-40GB, GPU-0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9, 40960, 35210, 87, 61, 312.45\n1, NVIDIA A100-SXM4-40GB, GPU-9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0, 40960, 4, 0, 29, [N/A]\n',
    ).rows;
    const processes = [
      { gpuUuid: gpus[0]!.uuid, pid: apiPid, usedMemoryMb: 30720 },
      { gpuUuid: gpus[0]!.uuid, pid: 999_999, usedMemoryMb: 4486 },
    ];
    raw = await startDockerBackend({ executor: { jobContext: jobContextFor({ maskIds: false, gpuProbe: async () => ({ source: 'nvidia-smi', gpus, processes }) }) } });
    await allowContainer(raw.backend.db, { name: names.db });
    await allowContainer(raw.backend.db, { name: names.api });

    const report = (await runTool(raw, 'ops.gpu_report', {})).output as GpuReport;
    assert.equal(report.source, 'nvidia-smi');
    assert.deepEqual(report.gpus.map((g) => [g.index, g.memory_used_mb, g.power_w]), [
      [0, 35210, 312.45],
      [1, 4, null],
    ]);
    assert.deepEqual(report.containers, [
      { name: names.api, id: ids.api, gpu_memory_mb: 30720 },
      { name: names.db, id: ids.db, gpu_memory_mb: 0 },
    ]);
    assert.match(report.note!, /GPU 1: the driver does not report power/);
    assert.match(report.note!, /1 GPU process\(es\) belong to no allowlisted container/);
    assert.deepEqual(((await runTool(raw, 'ops.gpu_report', { include_containers: false })).output as GpuReport).containers, []);

    const map = (await runTool(raw, 'ops.service_map', {})).output as ServiceMap;
    assert.deepEqual(map.nodes.map((n) => n.id).sort(), [ids.api, ids.db].sort(), 'real ids when redaction is off');
    assert.deepEqual(map.edges.filter((e) => e.kind === 'env_reference').map((e) => [e.from, e.to, e.label]).sort(), [
      [ids.api, ids.db, 'DATABASE_URL'],
      [ids.api, ids.db, 'DB_HOST'],
    ]);
  });
});
