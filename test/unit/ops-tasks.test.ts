import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { loadRegistry } from '../../registry/loader';
import { COMPUTE_APPS_ARGS, describeSmiFailure, GPU_QUERY_ARGS, parseComputeAppsCsv, parseGpuCsv, smiNumber } from '../../backend/executors/nvidia-smi';
import { gpusFor, probeGpuReport, probeGpus, type SmiRun, type SmiRunner } from '../../backend/executors/docker-gpu';
import { maskContainerId } from '../../backend/executors/docker-context';
import { hardenedCreateOptions } from '../../backend/executors/docker-hardening';
import { buildGpuReport, readGpuContext, type GpuReportContext } from '../../workers/tasks/gpu-report/report';
import { buildServiceMap, readServiceContext, type ServiceContainer } from '../../workers/tasks/service-map/map';
import { gpuReport } from '../../workers/tasks/gpu-report/task';
import { serviceMap } from '../../workers/tasks/service-map/task';
import { TaskError, type TaskIo } from '../../workers/runtime/task';
import { isImplementedTask } from '../../workers/runtime/task-names';

// ---- recorded nvidia-smi output ------------------------------------------------------------
// `nvidia-smi --query-gpu=index,name,uuid,memory.total,memory.used,utilization.gpu,temperature.gpu,power.draw --format=csv,noheader,nounits`

/** One H100 SXM, idle but for one process (driver 550). */
const ONE_GPU = '0, NVIDIA H100 80GB HBM3, GPU-5f2c1a7e-8d3b-4c6a-9e0f-1b2c3d4e5f60, 81559, 18953, 37, 34, 118.52\n';

/** Two A100 40GB, one busy, one idle. */
const TWO_GPUS = [
  '0, NVIDIA A100-SXM4-40GB, GPU-0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9, 40960, 35210, 87, 61, 312.45',
  '1, NVIDIA A100-SXM4-40GB, GPU-9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0, 40960, 4, 0, 29, 54.10',
  '',
].join('\n');

/** A laptop GPU that reports no power, and an old card that supports almost nothing. */
const NOT_AVAILABLE = [
  '0, NVIDIA GeForce GTX 1650 Ti, GPU-1d2e3f40-5162-7384-95a6-b7c8d9e0f1a2, 4096, 512, 3, 46, [N/A]',
  '1, NVIDIA GeForce GT 710, GPU-aa11bb22-cc33-dd44-ee55-ff6677889900, 2048, 121, [Not Supported], 38, [Not Supported]',
  '',
].join('\n');

/** A100 with MIG enabled: no utilisation figure. */
const MIG = '0, NVIDIA A100 80GB PCIe, GPU-3c4d5e6f-7081-92a3-b4c5-d6e7f8091a2b, 81920, 13, [N/A], 31, 44.18\n';

/** Windows (CRLF), with the header `--format=csv,nounits` prints, and units left in. */
const WINDOWS_WITH_HEADER =
  'index, name, uuid, memory.total [MiB], memory.used [MiB], utilization.gpu [%], temperature.gpu, power.draw [W]\r\n' +
  '0, NVIDIA GeForce RTX 4090, GPU-77c0ffee-1234-5678-9abc-def012345678, 24564 MiB, 1650 MiB, 9 %, 41, 27.84 W\r\n';

/** A GPU in a bad state: nvidia-smi prints an error line between the rows (and exits 15). */
const ONE_BROKEN = [
  '0, Tesla V100-SXM2-16GB, GPU-5e6f7081-92a3-b4c5-d6e7-f8091a2b3c4d, 16384, 0, 0, 36, 41.02',
  'Unable to determine the device handle for GPU0000:86:00.0: Unknown Error',
  '',
].join('\n');

/** `nvidia-smi --query-compute-apps=gpu_uuid,pid,used_memory --format=csv,noheader,nounits` on TWO_GPUS. */
const TWO_GPU_APPS = [
  'GPU-0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9, 24511, 30720',
  'GPU-0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9, 24790, 4486',
  'GPU-9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0, 31002, [N/A]',
  '',
].join('\n');

const NO_DRIVER = "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n\n";

/** A fake nvidia-smi: answers by which query it was asked. */
function fakeSmi(gpu: SmiRun, apps: SmiRun = { stdout: '' }): SmiRunner & { calls: string[][] } {
  const calls: string[][] = [];
  const run: SmiRunner = async (args) => {
    calls.push(args);
    return args[0]!.startsWith('--query-gpu=') ? gpu : apps;
  };
  return Object.assign(run, { calls });
}

const registry = loadRegistry();
const validate = (tool: string, output: unknown) => registry.get(tool)!.validateOutput(output);

describe('nvidia-smi parsing', () => {
  it('queries the fields in the documented order, without header or units', () => {
    assert.deepEqual(GPU_QUERY_ARGS, ['--query-gpu=index,name,uuid,memory.total,memory.used,utilization.gpu,temperature.gpu,power.draw', '--format=csv,noheader,nounits']);
    assert.deepEqual(COMPUTE_APPS_ARGS, ['--query-compute-apps=gpu_uuid,pid,used_memory', '--format=csv,noheader,nounits']);
  });

  it('reads numbers and every "no value" form', () => {
    assert.equal(smiNumber(' 81559'), 81559);
    assert.equal(smiNumber('118.52 '), 118.52);
    assert.equal(smiNumber('24564 MiB'), 24564);
    assert.equal(smiNumber('27.84 W'), 27.84);
    assert.equal(smiNumber('9 %'), 9);
    for (const none of ['[N/A]', 'N/A', '[Not Supported]', '[Unknown Error]', '[Insufficient Permissions]', '[GPU requires reset]', 'ERR!', '', '  ', 'abc', undefined]) {
      assert.equal(smiNumber(none), null, String(none));
    }
  });

  it('one GPU', () => {
    const { rows, problems } = parseGpuCsv(ONE_GPU);
    assert.deepEqual(problems, []);
    assert.deepEqual(rows, [
      {
        index: 0,
        name: 'NVIDIA H100 80GB HBM3',
        uuid: 'GPU-5f2c1a7e-8d3b-4c6a-9e0f-1b2c3d4e5f60',
        memoryTotalMb: 81559,
        memoryUsedMb: 18953,
        utilizationPct: 37,
        temperatureC: 34,
        powerW: 118.52,
      },
    ]);
  });

  it('two GPUs', () => {
    const { rows, problems } = parseGpuCsv(TWO_GPUS);
    assert.deepEqual(problems, []);
    assert.equal(rows.length, 2);
    assert.deepEqual(rows.map((r) => [r.index, r.uuid, r.memoryTotalMb, r.memoryUsedMb, r.utilizationPct, r.temperatureC, r.powerW]), [
      [0, 'GPU-0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9', 40960, 35210, 87, 61, 312.45],
      [1, 'GPU-9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0', 40960, 4, 0, 29, 54.1],
    ]);
    assert.ok(rows.every((r) => r.name === 'NVIDIA A100-SXM4-40GB'));
  });

  it('[N/A] and [Not Supported] become null, the rest of the row is kept', () => {
    const { rows, problems } = parseGpuCsv(NOT_AVAILABLE);
    assert.deepEqual(problems, []);
    assert.equal(rows[0]!.powerW, null);
    assert.equal(rows[0]!.utilizationPct, 3);
    assert.deepEqual([rows[1]!.utilizationPct, rows[1]!.temperatureC, rows[1]!.powerW, rows[1]!.memoryUsedMb], [null, 38, null, 121]);
    assert.equal(parseGpuCsv(MIG).rows[0]!.utilizationPct, null);
  });

  it('CRLF line ends, a header line and units left in', () => {
    const { rows, problems } = parseGpuCsv(WINDOWS_WITH_HEADER);
    assert.deepEqual(problems, []);
    assert.deepEqual(rows, [
      { index: 0, name: 'NVIDIA GeForce RTX 4090', uuid: 'GPU-77c0ffee-1234-5678-9abc-def012345678', memoryTotalMb: 24564, memoryUsedMb: 1650, utilizationPct: 9, temperatureC: 41, powerW: 27.84 },
    ]);
  });

  it('a product name with a comma in it stays one name', () => {
    const { rows, problems } = parseGpuCsv('0, Quadro RTX 8000, Rev. A, GPU-12345678-aaaa-bbbb-cccc-1234567890ab, 49152, 0, 0, 30, 20.5\n');
    assert.deepEqual(problems, []);
    assert.equal(rows[0]!.name, 'Quadro RTX 8000, Rev. A');
    assert.equal(rows[0]!.uuid, 'GPU-12345678-aaaa-bbbb-cccc-1234567890ab');
    assert.equal(rows[0]!.powerW, 20.5);
  });

  it('lines that are not GPU rows are reported as problems (without their text), good rows kept', () => {
    const { rows, problems } = parseGpuCsv(ONE_BROKEN);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.name, 'Tesla V100-SXM2-16GB');
    assert.deepEqual(problems, ['line 2: 1 field(s), expected 8']);
    assert.deepEqual(parseGpuCsv('x, a, b, 1, 2, 3, 4, 5\n').problems, ['line 1: the GPU index is not a number']);
    assert.deepEqual(parseGpuCsv(NO_DRIVER).rows, []);
    assert.deepEqual(parseGpuCsv('').rows, []);
  });

  it('compute processes, with [N/A] memory and "no running processes"', () => {
    const { rows, problems } = parseComputeAppsCsv(TWO_GPU_APPS);
    assert.deepEqual(problems, []);
    assert.deepEqual(rows, [
      { gpuUuid: 'GPU-0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9', pid: 24511, usedMemoryMb: 30720 },
      { gpuUuid: 'GPU-0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9', pid: 24790, usedMemoryMb: 4486 },
      { gpuUuid: 'GPU-9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0', pid: 31002, usedMemoryMb: null },
    ]);
    assert.deepEqual(parseComputeAppsCsv('No running processes found\n'), { rows: [], problems: [] });
    assert.deepEqual(parseComputeAppsCsv('gpu_uuid, pid, used_gpu_memory [MiB]\r\nGPU-x, 7, 100 MiB\r\n').rows, [{ gpuUuid: 'GPU-x', pid: 7, usedMemoryMb: 100 }]);
    assert.deepEqual(parseComputeAppsCsv('GPU-x, [N/A], 100\nGPU-x, 1\n').problems, ['line 1: the process id is not a number', 'line 2: 2 field(s), expected 3']);
  });

  it('says why there are no figures, in words', () => {
    assert.match(describeSmiFailure({ errno: 'ENOENT' }, 5000), /not installed .* no GPU to report/);
    assert.match(describeSmiFailure({ exitCode: 9, stdout: NO_DRIVER }, 5000), /could not communicate with the NVIDIA driver/);
    assert.match(describeSmiFailure({ exitCode: 6, stdout: 'No devices were found\n' }, 5000), /found no NVIDIA GPU/);
    assert.match(describeSmiFailure({ timedOut: true, exitCode: null }, 5000), /did not answer within 5 s/);
    assert.match(describeSmiFailure({ exitCode: 4, stderr: 'Insufficient Permissions\n' }, 5000), /insufficient permissions/);
    assert.equal(describeSmiFailure({ exitCode: 2, stdout: 'Invalid combination of input arguments.\n' }, 5000), 'nvidia-smi failed (exit code 2): Invalid combination of input arguments.');
  });
});

describe('GPU probe (backend side, nvidia-smi faked)', () => {
  it('two GPUs and their processes', async () => {
    const smi = fakeSmi({ stdout: TWO_GPUS }, { stdout: TWO_GPU_APPS });
    const p = await probeGpuReport({ run: smi });
    assert.equal(p.source, 'nvidia-smi');
    assert.equal(p.gpus.length, 2);
    assert.equal(p.processes.length, 3);
    assert.equal(p.note, undefined);
    assert.deepEqual(smi.calls, [GPU_QUERY_ARGS, COMPUTE_APPS_ARGS]);
  });

  it('no nvidia-smi, no driver, no device: source none with a note, never an error', async () => {
    const cases: Array<[SmiRun, RegExp]> = [
      [{ stdout: '', failure: { errno: 'ENOENT' } }, /not installed/],
      [{ stdout: NO_DRIVER, failure: { exitCode: 9, stdout: NO_DRIVER } }, /NVIDIA driver/],
      [{ stdout: 'No devices were found\n', failure: { exitCode: 6, stdout: 'No devices were found\n' } }, /no NVIDIA GPU/],
      [{ stdout: '' }, /listed no GPU/],
    ];
    for (const [run, note] of cases) {
      const smi = fakeSmi(run);
      const p = await probeGpuReport({ run: smi });
      assert.deepEqual([p.source, p.gpus, p.processes], ['none', [], []]);
      assert.match(p.note!, note);
      assert.equal(smi.calls.length, 1, 'no process query without a GPU');
    }
  });

  it('a broken GPU next to a good one: the good one, and a note', async () => {
    const p = await probeGpuReport({ run: fakeSmi({ stdout: ONE_BROKEN, failure: { exitCode: 15, stdout: ONE_BROKEN } }) });
    assert.equal(p.source, 'nvidia-smi');
    assert.equal(p.gpus.length, 1);
    assert.match(p.note!, /exit code 15/);
    assert.match(p.note!, /some nvidia-smi GPU lines could not be read \(line 2/);
  });

  it('processes that cannot be listed leave the GPUs and say so', async () => {
    const p = await probeGpuReport({ run: fakeSmi({ stdout: ONE_GPU }, { stdout: '', failure: { exitCode: 4, stderr: 'Insufficient Permissions' } }) });
    assert.equal(p.gpus.length, 1);
    assert.match(p.note!, /GPU processes are unknown: nvidia-smi reported insufficient permissions/);
  });

  it('the real nvidia-smi on this host: the GPUs `nvidia-smi -L` lists, or none with the reason', async () => {
    // What to expect is read independently of the code under test: `nvidia-smi -L` (one
    // "GPU n: …" line per GPU), or its absence.
    const listed = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 10_000 });
    const p = await probeGpuReport();
    if ((listed.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      assert.deepEqual([p.source, p.gpus, p.processes], ['none', [], []]);
      assert.equal(p.note, describeSmiFailure({ errno: 'ENOENT' }, 5000));
    } else {
      const count = (listed.stdout ?? '').split('\n').filter((l) => /^GPU \d+:/.test(l)).length;
      assert.equal(p.gpus.length, count, `nvidia-smi -L: ${listed.stdout}${listed.stderr}`);
      assert.equal(p.source, count > 0 ? 'nvidia-smi' : 'none');
      if (count === 0) assert.ok(p.note && p.note.length > 0, 'no GPU comes with a reason');
    }
    assert.equal((await probeGpus()).length, p.gpus.length);
  });

  it('recorded nvidia-smi → the GPUs that fit → Docker DeviceRequests in the hardened create options', async () => {
    // Two A100 40GB and two small cards: an image that needs 16 GiB gets the two A100s, by UUID.
    const smi = fakeSmi({ stdout: TWO_GPUS + NOT_AVAILABLE.replace(/^0, /, '2, ').replace(/\n1, /, '\n3, ') });
    const fit = gpusFor((await probeGpuReport({ run: smi, processes: false })).gpus, 16_384);
    const ids = fit.map((g) => g.uuid);
    assert.deepEqual(ids, ['GPU-0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9', 'GPU-9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0']);
    const spec = { image: 'product-os/worker:test', labels: {}, resources: { memory_mb: 256, cpus: 1, pids: 64 }, network: 'none', mounts: [], tmpfsMb: 16 };
    const opts = hardenedCreateOptions({ ...spec, gpuDeviceIds: ids });
    assert.deepEqual(opts.HostConfig!.DeviceRequests, [{ Driver: 'nvidia', DeviceIDs: ids, Capabilities: [['gpu']] }]);
    // The GPU is handed in as a device request, never as host device nodes or privileges.
    assert.deepEqual([opts.HostConfig!.Devices, opts.HostConfig!.Privileged, opts.HostConfig!.CapDrop], [undefined, false, ['ALL']]);
    // No GPU asked for (or none fits): no DeviceRequests at all.
    assert.equal('DeviceRequests' in hardenedCreateOptions(spec).HostConfig!, false);
    assert.equal('DeviceRequests' in hardenedCreateOptions({ ...spec, gpuDeviceIds: gpusFor(fit, 80_000).map((g) => g.uuid) }).HostConfig!, false);
  });

  it('gpusFor: enough memory, a uuid, an unknown total counts as none', () => {
    const { rows } = parseGpuCsv(`${TWO_GPUS}2, Mystery GPU, GPU-m, [N/A], 0, 0, 30, 10\n`);
    assert.deepEqual(gpusFor(rows, 40000).map((g) => g.index), [0, 1]);
    assert.deepEqual(gpusFor(rows, 50000), []);
    assert.deepEqual(gpusFor(rows, 0).map((g) => g.index), [0, 1, 2]);
  });
});

describe('gpu report (worker side)', () => {
  const ctxOf = (gpuCsv: string, appsCsv: string, containers: GpuReportContext['containers'], note?: string): GpuReportContext => ({
    source: 'nvidia-smi',
    gpus: parseGpuCsv(gpuCsv).rows,
    processes: parseComputeAppsCsv(appsCsv).rows,
    containers,
    ...(note ? { note } : {}),
  });

  it('two GPUs, GPU memory per allowlisted container from their host pids', () => {
    const ctx = ctxOf(TWO_GPUS, TWO_GPU_APPS, [
      { id: maskContainerId('a'.repeat(64)), name: 'trainer', pids: [24500, 24511, 24790] },
      { id: maskContainerId('b'.repeat(64)), name: 'web', pids: [1200] },
    ]);
    const report = buildGpuReport(ctx, { includeContainers: true });
    assert.deepEqual(validate('ops.gpu_report', report), []);
    assert.equal(report.source, 'nvidia-smi');
    assert.deepEqual(report.gpus[0], {
      index: 0,
      name: 'NVIDIA A100-SXM4-40GB',
      uuid: 'GPU-0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9',
      memory_total_mb: 40960,
      memory_used_mb: 35210,
      utilization_pct: 87,
      temperature_c: 61,
      power_w: 312.45,
    });
    assert.deepEqual(
      report.containers.map((c) => [c.name, c.gpu_memory_mb]),
      [
        ['trainer', 35206],
        ['web', 0],
      ],
    );
    assert.match(report.note!, /1 GPU process\(es\) belong to no allowlisted container/);
  });

  it('one GPU; include_containers false gives no containers', () => {
    const ctx = ctxOf(ONE_GPU, 'GPU-5f2c1a7e-8d3b-4c6a-9e0f-1b2c3d4e5f60, 999, 18432\n', [{ id: 'x', name: 'llm', pids: [999] }]);
    assert.deepEqual(buildGpuReport(ctx, { includeContainers: true }).containers, [{ name: 'llm', id: 'x', gpu_memory_mb: 18432 }]);
    const off = buildGpuReport(ctx, { includeContainers: false });
    assert.deepEqual(off.containers, []);
    assert.equal(off.note, undefined);
    assert.deepEqual(validate('ops.gpu_report', off), []);
  });

  it('figures the driver does not give: 0 (power null) and named in the note; the output stays valid', () => {
    const report = buildGpuReport(ctxOf(NOT_AVAILABLE, '', []), { includeContainers: true });
    assert.deepEqual(validate('ops.gpu_report', report), []);
    assert.equal(report.gpus[0]!.power_w, null);
    assert.equal(report.gpus[1]!.utilization_pct, 0);
    assert.equal(report.gpus[1]!.power_w, null);
    assert.match(report.note!, /GPU 0: the driver does not report power(\.|$)/);
    assert.match(report.note!, /GPU 1: the driver does not report utilization, power \(shown as 0\)/);
    const mig = buildGpuReport(ctxOf(MIG, 'GPU-3c4d5e6f-7081-92a3-b4c5-d6e7f8091a2b, 5, [N/A]\n', [{ id: 'm', name: 'mig-job', pids: [5] }]), { includeContainers: true });
    assert.deepEqual(validate('ops.gpu_report', mig), []);
    assert.deepEqual(mig.containers, [{ name: 'mig-job', id: 'm', gpu_memory_mb: 0 }]);
    assert.match(mig.note!, /1 GPU process\(es\) of allowlisted containers have no memory figure/);
  });

  it('no GPU is a normal report: source none, the backend note, valid', () => {
    const report = buildGpuReport({ source: 'none', gpus: [], processes: [], containers: [], note: 'nvidia-smi is not installed on this host' }, { includeContainers: true });
    assert.deepEqual(report, { gpus: [], containers: [], source: 'none', note: 'nvidia-smi is not installed on this host' });
    assert.deepEqual(validate('ops.gpu_report', report), []);
    assert.equal(buildGpuReport({ source: 'none', gpus: [], processes: [], containers: [] }, { includeContainers: true }).note, 'no GPU was found on this host');
  });

  it('out-of-range figures are clamped to what the schema allows', () => {
    const report = buildGpuReport(ctxOf('0, X, GPU-x, 100, 5, 140, -5, -1\n', '', []), { includeContainers: true });
    assert.deepEqual([report.gpus[0]!.utilization_pct, report.gpus[0]!.temperature_c, report.gpus[0]!.power_w], [100, -5, 0]);
    assert.deepEqual(validate('ops.gpu_report', report), []);
  });

  it('reads the context defensively and names what is wrong', () => {
    assert.throws(() => readGpuContext(undefined), /job.context is missing/);
    assert.throws(() => readGpuContext({ source: 'cuda', gpus: [] }), /job.context.source/);
    assert.throws(() => readGpuContext({ source: 'nvidia-smi', gpus: [{ index: 0, name: 'x', uuid: 'u', memoryTotalMb: '1' }] }), /job.context.gpus\[0\].memoryTotalMb is not a number/);
    assert.throws(() => readGpuContext({ source: 'none', gpus: [], containers: [{ id: 1, name: 'x' }] }), /containers\[0\].id is not a string/);
    const ok = readGpuContext({ source: 'none', gpus: [], containers: [{ id: 'i', name: 'n', pids: [1, -2, 'x', 3.5] }] });
    assert.deepEqual(ok.containers[0]!.pids, [1]);
    assert.deepEqual(ok.processes, []);
  });
});

// ---- service map --------------------------------------------------------------------------

const container = (o: Partial<ServiceContainer> & { id: string; name: string }): ServiceContainer => ({
  image: 'product-os/worker:0.1.0',
  state: 'running',
  networks: [],
  ports: [],
  links: [],
  env_names: [],
  env_references: [],
  ...o,
});

describe('service map (worker side)', () => {
  const db = container({
    id: 'id-db',
    name: 'db',
    networks: [{ name: 'app-net', aliases: ['database'] }],
    ports: [{ container_port: 5432, host_port: null, protocol: 'tcp' }],
    env_names: ['POSTGRES_PASSWORD', 'PGDATA'],
  });
  const api = container({
    id: 'id-api',
    name: 'api',
    networks: [
      { name: 'app-net', aliases: [] },
      { name: 'edge', aliases: [] },
    ],
    ports: [
      { container_port: 8080, host_port: 18080, protocol: 'tcp' },
      { container_port: 8080, host_port: 18080, protocol: 'tcp' },
      { container_port: 8080, host_port: null, protocol: 'TCP' },
      { container_port: 0, host_port: null, protocol: 'tcp' },
      { container_port: 53, host_port: null, protocol: 'icmp' },
    ],
    env_names: ['DB_HOST', 'DATABASE_URL', 'PORT', 'DB_HOST'],
    env_references: [
      { name: 'DB_HOST', to: 'id-db' },
      { name: 'DATABASE_URL', to: 'id-db' },
      { name: 'CACHE_HOST', to: 'id-not-allowlisted' },
    ],
  });
  const proxy = container({ id: 'id-proxy', name: 'proxy', networks: [{ name: 'edge', aliases: [] }], ports: [{ container_port: 443, host_port: 443, protocol: 'tcp' }] });
  const legacy = container({ id: 'id-legacy', name: 'legacy', state: 'exited', networks: [{ name: 'bridge', aliases: [] }], links: [{ to: '/old-db', alias: 'db' }] });
  const oldDb = container({ id: 'id-old-db', name: 'old-db', state: 'exited', networks: [{ name: 'bridge', aliases: [] }] });

  it('nodes sorted by name, with networks, valid ports and env names only', () => {
    const map = buildServiceMap([proxy, db, api]);
    assert.deepEqual(validate('ops.service_map', map), []);
    assert.deepEqual(map.nodes.map((n) => n.name), ['api', 'db', 'proxy']);
    const apiNode = map.nodes[0]!;
    assert.deepEqual(apiNode, {
      id: 'id-api',
      name: 'api',
      image: 'product-os/worker:0.1.0',
      state: 'running',
      networks: ['app-net', 'edge'],
      ports: [
        { container_port: 8080, host_port: null, protocol: 'tcp' },
        { container_port: 8080, host_port: 18080, protocol: 'tcp' },
      ],
      env_names: ['DATABASE_URL', 'DB_HOST', 'PORT'],
    });
  });

  it('network edges per shared user network; env_reference edges to containers on the map only', () => {
    const map = buildServiceMap([proxy, db, api]);
    assert.deepEqual(map.edges, [
      { from: 'id-api', to: 'id-db', kind: 'network', label: 'app-net' },
      { from: 'id-api', to: 'id-proxy', kind: 'network', label: 'edge' },
      { from: 'id-api', to: 'id-db', kind: 'env_reference', label: 'DATABASE_URL' },
      { from: 'id-api', to: 'id-db', kind: 'env_reference', label: 'DB_HOST' },
    ]);
  });

  it('the default bridge joins nothing; a legacy link does', () => {
    const map = buildServiceMap([legacy, oldDb]);
    assert.deepEqual(validate('ops.service_map', map), []);
    assert.deepEqual(map.edges, [{ from: 'id-legacy', to: 'id-old-db', kind: 'link', label: 'db' }]);
    assert.deepEqual(buildServiceMap([legacy]).edges, [], 'a link to a container off the map is dropped');
  });

  it('three on one network make three pairs; a duplicate container is one node', () => {
    const on = (id: string) => container({ id, name: id, networks: [{ name: 'n', aliases: [] }] });
    const map = buildServiceMap([on('c'), on('a'), on('b'), on('a')]);
    assert.equal(map.nodes.length, 3);
    assert.deepEqual(
      map.edges.map((e) => `${e.from}-${e.to}`),
      ['a-b', 'a-c', 'b-c'],
    );
  });

  it('no containers: an empty map', () => {
    assert.deepEqual(buildServiceMap([]), { nodes: [], edges: [] });
    assert.deepEqual(validate('ops.service_map', { nodes: [], edges: [] }), []);
  });

  it('reads the context defensively and names what is wrong', () => {
    assert.throws(() => readServiceContext(undefined), /job.context is missing/);
    assert.throws(() => readServiceContext({ containers: 'x' }), /job.context.containers is not an array/);
    assert.throws(() => readServiceContext({ containers: [{ id: 'a', name: 'a', env_names: [1] }] }), /containers\[0\].env_names\[0\] is not a string/);
    assert.throws(() => readServiceContext({ containers: [{ id: 'a', name: 'a', env_references: [{ name: 'X' }] }] }), /env_references\[0\].to is not a string/);
    assert.deepEqual(readServiceContext({ containers: [{ id: 'a', name: 'a' }] }), [container({ id: 'a', name: 'a', image: '', state: '' })]);
  });
});

describe('ops tasks in the worker runtime', () => {
  const io = (context: unknown, logs: string[] = []): TaskIo => ({
    job: { task: 'x', input: {}, runId: 'r', tool: 't', ...(context === undefined ? {} : { context: context as Record<string, unknown> }) },
    log: (_level, message) => logs.push(message),
    progress: () => undefined,
  });

  it('gpu_report and service_map are implemented', () => {
    assert.ok(isImplementedTask('gpu_report'));
    assert.ok(isImplementedTask('service_map'));
  });

  it('gpu_report: a no-GPU context gives a valid report, include_containers false empties containers', async () => {
    const logs: string[] = [];
    const out = await gpuReport({}, io({ source: 'none', gpus: [], processes: [], containers: [], note: 'n' }, logs));
    assert.deepEqual(out, { gpus: [], containers: [], source: 'none', note: 'n' });
    assert.deepEqual(logs, ['gpu report: 0 GPU(s) from none, 0 container(s)']);
    const ctx = { source: 'nvidia-smi', gpus: parseGpuCsv(ONE_GPU).rows, processes: [], containers: [{ id: 'i', name: 'n', pids: [] }] };
    assert.deepEqual((await gpuReport({ include_containers: false }, io(ctx)) as { containers: unknown[] }).containers, []);
    assert.equal(((await gpuReport({}, io(ctx))) as { containers: unknown[] }).containers.length, 1);
  });

  it('service_map: a graph, and a log line with counts only', async () => {
    const logs: string[] = [];
    const out = await serviceMap({}, io({ containers: [container({ id: 'a', name: 'a', networks: [{ name: 'n', aliases: [] }] }), container({ id: 'b', name: 'b', networks: [{ name: 'n', aliases: [] }] })] }, logs));
    assert.deepEqual(validate('ops.service_map', out), []);
    assert.deepEqual(logs, ['service map: 2 container(s), 1 edge(s)']);
  });

  it('a missing context is a clear executor_failed error', async () => {
    for (const task of [gpuReport, serviceMap]) {
      await assert.rejects(task({}, io(undefined)), (e: unknown) => e instanceof TaskError && e.code === 'executor_failed' && /job.context is missing/.test(e.message));
    }
  });

  it('masked container ids are stable, distinct, and not the id', () => {
    const id = 'f'.repeat(64);
    assert.equal(maskContainerId(id), maskContainerId(id));
    assert.notEqual(maskContainerId(id), maskContainerId('e'.repeat(64)));
    assert.match(maskContainerId(id), /^masked-[0-9a-f]{10}$/);
    assert.ok(!maskContainerId(id).includes(id.slice(0, 12)));
  });
});
