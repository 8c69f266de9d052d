/**
 * deploy-local: the local deploy target against doing the same by hand. Ours: a
 * cloudrun.deploy_service call through the backend (clean checkout of the ref, build, container,
 * health check, traffic switch) until it returns a healthy new revision. Reference: `docker
 * build` of the same Dockerfile from a checkout of the same commit, then `docker run` on a
 * loopback port and polling until it answers HTTP. Each round commits new content for each
 * side (so neither build is a full cache hit), sides alternate (ABBA), figures are medians.
 * Then rollback: approve → the run succeeded (an earlier revision serving), median of rounds.
 *
 * Knobs: BENCH_ROUNDS (3 per side). Needs the Docker engine and a static busybox.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import Dockerode from 'dockerode';
import { callRoute } from '../../contracts/client';
import type { DeployOutput } from '../../contracts/tools/deploy';
import { LocalDeployTarget } from '../../backend/deploy/local/target';
import { ensureServicesNetwork } from '../../backend/deploy/local/network';
import { startBackend, tempDir } from '../helpers/backend';
import { SERVICE_DOCKERFILE, ServiceRepo } from '../helpers/service-repo';
import { envNumber, log, median, round, type BenchResult } from './bench';

const SERVICE = 'bench-svc';
const REGION = 'local';
const DEPLOY_TARGET = 1.2;
const ROLLBACK_TARGET_MS = 2000;
const READY_TIMEOUT_MS = 60_000;

async function answers(url: string): Promise<boolean> {
  try {
    await (await fetch(url, { signal: AbortSignal.timeout(1000) })).text();
    return true;
  } catch {
    return false;
  }
}

export async function run(): Promise<BenchResult> {
  const rounds = envNumber('BENCH_ROUNDS', 3);
  const docker = new Dockerode();
  await docker.ping().catch((err: Error) => {
    throw new Error(`deploy-local needs the Docker engine (${err.message})`);
  });
  const repo = new ServiceRepo(tempDir('bench-deploy-repo-'));
  repo.commit({ Dockerfile: SERVICE_DOCKERFILE, 'www/index.html': 'warm-up\n' }, 'warm-up');
  const b = await startBackend();
  const conn = { url: b.url, token: b.token };
  const network = await ensureServicesNetwork(docker);
  const refContainers: string[] = [];
  const refImages: string[] = [];
  let n = 0;

  const ours = async (): Promise<number> => {
    repo.commit({ 'www/index.html': `ours ${++n}\n` }, `ours ${n}`);
    const t0 = performance.now();
    const r = await b.tool('cloudrun.deploy_service', { service_name: SERVICE, repo: repo.dir, ref: 'main', env: 'dev', region: REGION });
    const ms = performance.now() - t0;
    if (r.status !== 'succeeded') throw new Error(`deploy failed: ${JSON.stringify(r.error)}`);
    const body = await (await fetch((r.output as DeployOutput).service_url)).text();
    if (body !== `ours ${n}\n`) throw new Error(`the service answered ${JSON.stringify(body)} after the deploy`);
    return ms;
  };

  const reference = async (): Promise<number> => {
    repo.commit({ 'www/index.html': `reference ${++n}\n` }, `reference ${n}`);
    const dir = tempDir('bench-deploy-checkout-');
    execFileSync('sh', ['-c', `git -C "${repo.dir}" archive main | tar -x -C "${dir}"`]);
    const tag = `product-os-bench/reference:${n}`;
    const t0 = performance.now();
    execFileSync('docker', ['build', '-q', '-t', tag, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    const id = execFileSync('docker', ['run', '-d', '--network', network, '-p', '127.0.0.1::8080', '-e', 'PORT=8080', tag], { encoding: 'utf8' }).trim();
    refContainers.push(id);
    refImages.push(tag);
    const port = execFileSync('docker', ['port', id, '8080/tcp'], { encoding: 'utf8' }).trim().split('\n')[0].split(':').pop();
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await answers(`http://127.0.0.1:${port}/`))) {
      if (Date.now() > deadline) throw new Error('the reference container never answered');
      await new Promise((r) => setTimeout(r, 50));
    }
    const ms = performance.now() - t0;
    fs.rmSync(dir, { recursive: true, force: true });
    return ms;
  };

  const rollback = async (): Promise<number> => {
    const created = await callRoute(conn, 'createRun', { body: { tool: 'cloudrun.rollback_service', input: { service_name: SERVICE, region: REGION, env: 'dev', reason: 'bench' } } });
    const t0 = performance.now();
    await callRoute(conn, 'approveRun', { params: { id: created.id } });
    const done = await callRoute(conn, 'waitRun', { params: { id: created.id }, query: { timeoutMs: 30_000 } });
    const ms = performance.now() - t0;
    if (done.status !== 'succeeded') throw new Error(`rollback failed: ${JSON.stringify(done.error)}`);
    return ms;
  };

  try {
    log('deploy-local: warm-up (first deploy and reference build)');
    await ours();
    await reference();
    const oursMs: number[] = [];
    const refMs: number[] = [];
    for (let i = 0; i < rounds; i++) {
      // ABBA: neither side always goes first.
      if (i % 2 === 0) {
        refMs.push(await reference());
        oursMs.push(await ours());
      } else {
        oursMs.push(await ours());
        refMs.push(await reference());
      }
      log(`round ${i + 1}: ours ${round(oursMs[i])} ms, docker build + run ${round(refMs[i])} ms`);
    }
    const rollbackMs: number[] = [];
    for (let i = 0; i < rounds; i++) {
      // The usual case: a rollback comes well after the deploy, when the earlier revision's
      // container has stopped (its stop takes up to its 2 s grace), so the rollback starts it.
      await new Promise((r) => setTimeout(r, 3000));
      rollbackMs.push(await rollback());
      await ours(); // back to a new latest, so the next rollback has somewhere to go
    }
    const deployMedian = median(oursMs);
    const refMedian = median(refMs);
    const rollbackMedian = median(rollbackMs);
    const ratio = round(deployMedian / refMedian);
    return {
      ratio,
      target: `deploy <= ${DEPLOY_TARGET}x docker build + run; rollback < ${ROLLBACK_TARGET_MS} ms`,
      pass: ratio <= DEPLOY_TARGET && rollbackMedian < ROLLBACK_TARGET_MS,
      deploy_ms_median: round(deployMedian),
      docker_build_run_ms_median: round(refMedian),
      rollback_ms_median: round(rollbackMedian),
      rollback_ms_max: round(Math.max(...rollbackMs)),
      rounds,
      deploy_ms: oursMs.map((x) => round(x)),
      docker_build_run_ms: refMs.map((x) => round(x)),
    };
  } finally {
    for (const id of refContainers) await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
    for (const tag of refImages) await docker.getImage(tag).remove({ force: true }).catch(() => undefined);
    await b.close();
    const target = new LocalDeployTarget({ docker, dataDir: b.dataDir });
    await target.deleteService(SERVICE, REGION);
    await target.close();
    fs.rmSync(path.dirname(repo.dir + '/x'), { recursive: true, force: true });
  }
}
