/**
 * The extension's `activate()` time: the built bundle (dist/extension.js, `npm run build`)
 * loaded fresh into a new Node process per sample, against the unit tests' fake `vscode`
 * module (test/unit/extension/vscode-fake.ts, compiled once with esbuild so the child is plain
 * Node, as in the extension host: no TypeScript loader hooks on its `require`), in the
 * default (spawned-backend) mode with no settings, so activation only registers.
 *
 * Per sample, measured inside the child:
 * - `loadMs`: `require('dist/extension.js')` (read, compile, evaluate the bundle's top level);
 * - `activateMs`: `await activate(context)` (what VS Code times as activation, after load);
 * - `totalMs`: both.
 * Before timing, the child has loaded the fake `vscode` and the Node built-ins the bundle
 * requires (the extension host has those loaded already). Not included: the editor's own work
 * around activation (reading the manifest, creating the extension host, the real API objects).
 *
 * Target: median activate() < 30 ms; ratio = median activateMs ÷ 30. p95 is reported beside.
 *
 * Knobs (environment): BENCH_ACTIVATE_SAMPLES (30 child processes, one after another),
 * BENCH_ACTIVATE_SECONDS (60: no new sample starts after this), each child bounded by 20 s.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { builtinModules } from 'node:module';
import { build } from 'esbuild';
import { envNumber, log, median, percentile, round, type BenchResult } from './bench';

const ROOT = path.resolve(__dirname, '..', '..');
const BUNDLE = path.join(ROOT, 'dist', 'extension.js');
const FAKE_SRC = path.join(ROOT, 'test', 'unit', 'extension', 'vscode-fake.ts');
const TARGET_MS = 30;
const CHILD_LIMIT_MS = 20_000;

interface Sample {
  loadMs: number;
  activateMs: number;
  totalMs: number;
  commands: number;
  state: string;
}

/** The child: plain Node (`node -e`), settings through the environment. */
const CHILD = String.raw`
const Module = require('node:module');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const fakePath = process.env.BENCH_FAKE_VSCODE;
const original = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'vscode' ? fakePath : original.call(this, request, ...rest);
};
const vscodeFake = require('vscode');
for (const b of JSON.parse(process.env.BENCH_PRELOAD)) require(b);
(async () => {
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'product-os-bench-activate-'));
  const context = vscodeFake.fakeContext(process.env.BENCH_ROOT, storage);
  const t0 = performance.now();
  const ext = require(process.env.BENCH_BUNDLE);
  const t1 = performance.now();
  const api = await ext.activate(context);
  const t2 = performance.now();
  const sample = { loadMs: t1 - t0, activateMs: t2 - t1, totalMs: t2 - t0, commands: vscodeFake.fake.commands.size, state: api.state().kind };
  await ext.deactivate();
  for (const d of context.subscriptions) { try { d.dispose(); } catch {} }
  fs.rmSync(storage, { recursive: true, force: true });
  process.stdout.write(JSON.stringify(sample) + '\n');
  process.exit(0);
})().catch((err) => {
  process.stderr.write(String(err && err.stack || err) + '\n');
  process.exit(1);
});
`;

function runChild(env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', CHILD], { cwd: ROOT, env, timeout: CHILD_LIMIT_MS, killSignal: 'SIGKILL', maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`activation child failed: ${err.message}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as Sample);
      } catch {
        reject(new Error(`activation child printed no sample: ${stdout}\n${stderr}`));
      }
    });
  });
}

/** Newest modification time of the sources the extension bundle is built from. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: round(median(s)), p95: round(percentile(s, 95)), min: round(s[0]), max: round(s[s.length - 1]) };
};

export async function run(): Promise<BenchResult> {
  const samples = Math.round(envNumber('BENCH_ACTIVATE_SAMPLES', 30));
  const seconds = envNumber('BENCH_ACTIVATE_SECONDS', 60);
  if (!fs.existsSync(BUNDLE)) throw new Error(`${path.relative(ROOT, BUNDLE)} is missing: run \`npm run build\` first`);
  const stale = newestSource(path.join(ROOT, 'extension')) > fs.statSync(BUNDLE).mtimeMs;
  if (stale) log('extension-activate: dist/extension.js is older than extension/**/*.ts: run `npm run build` to measure the current code');

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'product-os-bench-fake-'));
  const fakeJs = path.join(tmp, 'vscode-fake.js');
  try {
    await build({ entryPoints: [FAKE_SRC], outfile: fakeJs, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning' });
    const bundleText = fs.readFileSync(BUNDLE, 'utf8');
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const preload = [...new Set([...bundleText.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]).filter((m) => builtins.has(m)))];
    const env = { ...process.env, BENCH_FAKE_VSCODE: fakeJs, BENCH_PRELOAD: JSON.stringify(preload), BENCH_ROOT: ROOT, BENCH_BUNDLE: BUNDLE, NODE_OPTIONS: '' };

    const got: Sample[] = [];
    const started = Date.now();
    await runChild(env); // warm-up: the OS file cache, not counted
    for (let i = 0; i < samples; i++) {
      if (Date.now() - started > seconds * 1000) {
        log(`extension-activate: stopping after ${i} samples (BENCH_ACTIVATE_SECONDS=${seconds})`);
        break;
      }
      got.push(await runChild(env));
    }
    if (got.length === 0) throw new Error('no sample finished');
    const expected = got[0].commands;
    if (got.some((s) => s.commands !== expected || s.commands === 0)) throw new Error(`activation registered ${got.map((s) => s.commands).join('/')} commands`);
    const activate = stats(got.map((s) => s.activateMs));
    const load = stats(got.map((s) => s.loadMs));
    const total = stats(got.map((s) => s.totalMs));
    log(`extension-activate: ${got.length} fresh processes: activate() median ${activate.median} ms (p95 ${activate.p95}), module load median ${load.median} ms`);
    return {
      samples: got.length,
      bundle: path.relative(ROOT, BUNDLE),
      bundleKiB: round(fs.statSync(BUNDLE).size / 1024, 0),
      // `npm run build` leaves a source-map comment at the end; the production build (the .vsix) does not.
      bundleBuild: /\/\/# sourceMappingURL=\S+\s*$/.test(bundleText.slice(-300)) ? 'development (npm run build)' : 'production (minified)',
      distStale: stale,
      commandsRegistered: expected,
      backendState: got[0].state,
      activateMedianMs: activate.median,
      activateP95Ms: activate.p95,
      activateMinMs: activate.min,
      activateMaxMs: activate.max,
      loadMedianMs: load.median,
      loadP95Ms: load.p95,
      loadPlusActivateMedianMs: total.median,
      loadPlusActivateP95Ms: total.p95,
      ratio: round(activate.median / TARGET_MS, 3),
      target: `activate() median < ${TARGET_MS} ms (ratio = median / ${TARGET_MS}; module load reported separately)`,
      pass: activate.median < TARGET_MS,
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
