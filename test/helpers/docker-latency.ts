import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as readline from 'node:readline';
import { WORKER_IMAGE_REF } from '../../backend/executors/docker-images';
import { ensureDockerAndWorkerImage, startDockerBackend, type DockerTestBackend } from './docker';

/** Milliseconds from submit to the first log line and to the result. */
export interface Latency {
  firstLog: number;
  result: number;
}

export interface DispatchLatency {
  runs: number;
  /** `docker run --rm -i --network none` of the same image and job, timed from the spawn. */
  plain: Latency;
  /** Through the backend, a new container per run. */
  cold: Latency;
  /** Through the backend, from the warm pool. */
  warm: Latency;
  ratios: { coldVsPlain: Latency; warmVsPlain: Latency };
}

const JOB_INPUT = { lines: 1, ms: 0 };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => Math.round(x * 10) / 10;

/** One plain `docker run --rm` of the trivial job (a log line, then the result). */
function plainRun(): Promise<Latency> {
  const job = JSON.stringify({ task: 'log_lines', runId: randomUUID(), tool: 'bench', input: JOB_INPUT });
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('docker', ['run', '--rm', '-i', '--network', 'none', WORKER_IMAGE_REF], { stdio: ['pipe', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    let firstLog = 0;
    let result = 0;
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      if (!firstLog && line.includes('"type":"log"')) firstLog = performance.now() - t0;
      if (!result && line.includes('"type":"result"')) result = performance.now() - t0;
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      // `docker run --rm` returns once the container is removed: that is when a caller has its answer.
      const end = performance.now() - t0;
      if (code !== 0 || !result) return reject(new Error(`docker run exited with ${code} without a result`));
      resolve({ firstLog, result: Math.max(result, end) });
    });
    child.stdin.end(`${job}\n`);
  });
}

async function backendRun(b: DockerTestBackend): Promise<Latency> {
  const bus = b.backend.context.bus;
  let firstLog = 0;
  let offEvents = () => {};
  const t0 = performance.now();
  // The run is published when it is stored, before it is dispatched: follow its events from there.
  const offRuns = bus.onRun((r) => {
    if (r.caller !== 'bench' || r.status !== 'dispatching') return;
    offEvents();
    offEvents = bus.onRunEvents(r.id, (e) => {
      if (!firstLog && e.type === 'log') firstLog = performance.now() - t0;
    });
  });
  try {
    const { run } = await b.backend.engine.submit({ tool: 'test.docker_log_lines', input: JOB_INPUT, caller: 'bench' });
    const done = await b.backend.engine.waitForTerminal(run.id);
    const result = performance.now() - t0;
    if (done.status !== 'succeeded') throw new Error(`bench run ${done.status}: ${JSON.stringify(done.error)}`);
    if (!firstLog) throw new Error('no log event was seen for the bench run');
    return { firstLog, result };
  } finally {
    offRuns();
    offEvents();
  }
}

function summarize(xs: Latency[]): Latency {
  return { firstLog: round(median(xs.map((x) => x.firstLog))), result: round(median(xs.map((x) => x.result))) };
}

/**
 * Dispatch latency of a trivial docker job (one log line, then the result), medians of `runs`:
 * plain `docker run --rm`, cold through the backend, and from the warm pool, with the ratios.
 * Builds what it needs (ensure-docker, the worker image) and cleans up its backends. The three
 * are measured in interleaved rounds (plain, cold, warm), each with nothing else in flight.
 */
export async function measureDispatchLatency(runs = 10): Promise<DispatchLatency> {
  ensureDockerAndWorkerImage();
  const coldB = await startDockerBackend();
  const warmB = await startDockerBackend({ executor: { pool: { [WORKER_IMAGE_REF]: 2 }, poolResources: { memory_mb: 128, cpus: 0.5, pids: 32 } } });
  const plain: Latency[] = [];
  const cold: Latency[] = [];
  const warm: Latency[] = [];
  try {
    await warmB.executor.poolReady(60_000);
    // One untimed round first (page cache, JIT), then interleaved rounds, so that whatever else
    // the machine does weighs on all three alike. The pool is full again before anything is timed.
    for (let i = 0; i <= runs; i++) {
      const p = await plainRun();
      const c = await backendRun(coldB);
      await coldB.executor.drained();
      await warmB.executor.poolReady(60_000);
      const w = await backendRun(warmB);
      await warmB.executor.drained();
      await warmB.executor.poolReady(60_000);
      if (i === 0) continue;
      plain.push(p);
      cold.push(c);
      warm.push(w);
    }
  } finally {
    await coldB.close();
    await warmB.close();
  }
  const p = summarize(plain);
  const c = summarize(cold);
  const w = summarize(warm);
  const ratio = (a: Latency): Latency => ({ firstLog: Math.round((a.firstLog / p.firstLog) * 100) / 100, result: Math.round((a.result / p.result) * 100) / 100 });
  return { runs, plain: p, cold: c, warm: w, ratios: { coldVsPlain: ratio(c), warmVsPlain: ratio(w) } };
}

/** The figures as the lines `npm run bench` prints. */
export function formatDispatchLatency(d: DispatchLatency): string[] {
  const row = (name: string, l: Latency, r?: Latency) =>
    `${name.padEnd(24)} first log ${String(l.firstLog).padStart(7)} ms${r ? ` (${r.firstLog.toFixed(2)}×)` : '         '}   result ${String(l.result).padStart(7)} ms${r ? ` (${r.result.toFixed(2)}×)` : ''}`;
  return [
    `docker dispatch latency, trivial job, median of ${d.runs}:`,
    row('  docker run --rm', d.plain),
    row('  cold (new container)', d.cold, d.ratios.coldVsPlain),
    row('  warm (pool)', d.warm, d.ratios.warmVsPlain),
    '  targets: cold ≤ 1.20× docker run, warm ≤ 0.25× docker run',
  ];
}

/**
 * The `docker-dispatch` benchmark for test/bench/run.ts: the figures above as one BenchResult
 * (`ratio` is cold ÷ docker run; both targets must hold for `pass`). BENCH_DOCKER_RUNS sets
 * the sample size (default 10).
 */
export async function dockerDispatchBench(): Promise<{ ratio: number; target: string; pass: boolean; [figure: string]: unknown }> {
  const runs = Number(process.env.BENCH_DOCKER_RUNS ?? 10);
  const d = await measureDispatchLatency(Number.isInteger(runs) && runs > 0 ? runs : 10);
  for (const line of formatDispatchLatency(d)) process.stderr.write(`[bench] ${line}\n`);
  return {
    ratio: d.ratios.coldVsPlain.result,
    target: 'cold <= 1.2x docker run --rm, warm <= 0.25x',
    pass: d.ratios.coldVsPlain.result <= 1.2 && d.ratios.warmVsPlain.result <= 0.25,
    runs: d.runs,
    plain_ms: d.plain,
    cold_ms: d.cold,
    warm_ms: d.warm,
    cold_vs_plain: d.ratios.coldVsPlain,
    warm_vs_plain: d.ratios.warmVsPlain,
  };
}
