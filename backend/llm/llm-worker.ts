import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Dockerode from 'dockerode';
import llmImage from '../../workers/images/llm/image.json';
import type { GenerateRequest, GenerateResult, LlmProvider } from './provider';
import { OpenAiCompatibleProvider } from './openai-compatible';
import { ProductOsError } from '../errors';
import { assertHardened, hardenedCreateOptions, LABELS } from '../executors/docker-hardening';
import { ensureInternalNetwork, LLM_NETWORK } from '../executors/docker-network';
import { dockerClient } from '../executors/docker-client';

/** The LLM worker image (`npm run workers:build` builds it from workers/images/llm/). */
export const LLM_IMAGE_REF = `${llmImage.name}:${llmImage.tag}`;
const PORT = llmImage.port;

export interface LlmWorkerOptions {
  /** The models folder, mounted read-only at /models. */
  modelsDir: string;
  /** The GGUF file, relative to the models folder. */
  modelFile: string;
  threads: number;
  contextSize?: number;
  docker?: Dockerode;
  /** Session and store labels, so a crashed backend's server is swept like any worker. */
  labels?: () => Promise<Record<string, string>>;
  network?: string;
  startTimeoutMs?: number;
}

interface Started {
  container: Dockerode.Container;
  name: string;
  inner: OpenAiCompatibleProvider;
}

/**
 * llama.cpp in an allowlisted, hardened worker container: the LLM server image on the
 * internal Docker network (no route off the host), the GGUF mounted read-only, threads and
 * memory limited. Started on first use, reached through its address on that network as an
 * OpenAI-compatible server; removed on close (and swept by label after a crash).
 */
export class LlamaCppWorkerProvider implements LlmProvider {
  readonly provider = 'llama.cpp-worker';
  private started?: Promise<Started>;
  private readonly docker: Dockerode;

  constructor(private readonly opts: LlmWorkerOptions) {
    this.docker = opts.docker ?? dockerClient();
  }

  get model(): string {
    return path.basename(this.opts.modelFile);
  }

  /** The server as other workers on the same internal network reach it. */
  async internalUrl(): Promise<string> {
    return `http://${(await this.start()).name}:${PORT}/v1`;
  }

  start(): Promise<Started> {
    this.started ??= this.startNow();
    // Forget only this attempt: after a close and a new start, a late failure must not drop the new one.
    const attempt = this.started;
    attempt.catch(() => {
      if (this.started === attempt) this.started = undefined;
    });
    return attempt;
  }

  private async startNow(): Promise<Started> {
    const modelsDir = path.resolve(this.opts.modelsDir);
    const file = path.resolve(modelsDir, this.opts.modelFile);
    if (path.relative(modelsDir, file).startsWith('..')) throw new ProductOsError('not_configured', `PRODUCT_OS_LLM_MODEL must name a GGUF file inside the models folder (PRODUCT_OS_MODELS, ${modelsDir})`);
    let size: number;
    try {
      const st = fs.statSync(file);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      throw new ProductOsError('not_configured', `PRODUCT_OS_LLM_MODEL: ${path.basename(file)} is not a file in the models folder (PRODUCT_OS_MODELS)`);
    }
    try {
      await this.docker.getImage(LLM_IMAGE_REF).inspect();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) throw new ProductOsError('not_configured', `the LLM worker image ${LLM_IMAGE_REF} is not on this Docker engine: build it with \`npm run workers:build\` (images are never pulled), or set PRODUCT_OS_LLM_PROVIDER=llama.cpp to run the model in the backend process`);
      throw new ProductOsError('not_configured', `the Docker engine does not answer, so the LLM worker cannot start (${(err as Error).message.slice(0, 200)}); start Docker, or set PRODUCT_OS_LLM_PROVIDER=llama.cpp to run the model in the backend process`);
    }
    const network = await ensureInternalNetwork(this.docker, this.opts.network ?? LLM_NETWORK);
    const name = `product-os-llm-${randomBytes(6).toString('hex')}`;
    const labels = { ...((await this.opts.labels?.()) ?? {}), [LABELS.run]: 'llm-server', [LABELS.tool]: 'llm', [LABELS.image]: LLM_IMAGE_REF };
    const options = hardenedCreateOptions({
      name,
      image: LLM_IMAGE_REF,
      labels,
      // The weights are read into memory: the file's size, the context and the runtime beside it.
      resources: { memory_mb: Math.max(1024, Math.ceil(size / 1048576 + 512 + (this.opts.contextSize ?? 4096) / 8)), cpus: this.opts.threads, pids: 128 },
      network,
      mounts: [{ source: modelsDir, target: '/models', readOnly: true }],
      tmpfsMb: 64,
    });
    const withCmd: Dockerode.ContainerCreateOptions = {
      ...options,
      Cmd: ['--model', `/models/${path.relative(modelsDir, file).split(path.sep).join('/')}`, '--threads', String(this.opts.threads), ...(this.opts.contextSize ? ['--context', String(this.opts.contextSize)] : []), '--port', String(PORT)],
      // A server, not a job: nothing is written to its stdin.
      OpenStdin: false,
      StdinOnce: false,
      AttachStdin: false,
    };
    assertHardened(withCmd);
    const container = await this.docker.createContainer(withCmd);
    try {
      await container.start();
      const info = await container.inspect();
      const ip = info.NetworkSettings.Networks?.[network]?.IPAddress;
      if (!ip) throw new ProductOsError('unavailable', `the LLM worker has no address on the ${network} network`);
      const inner = new OpenAiCompatibleProvider({ url: `http://${ip}:${PORT}/v1`, model: this.model, provider: this.provider, setting: 'the LLM worker' });
      await this.waitHealthy(container, `http://${ip}:${PORT}/health`);
      return { container, name, inner };
    } catch (err) {
      await container.remove({ force: true }).catch(() => undefined);
      throw err;
    }
  }

  private async waitHealthy(container: Dockerode.Container, url: string): Promise<void> {
    const deadline = Date.now() + (this.opts.startTimeoutMs ?? 120_000);
    for (let i = 0; Date.now() < deadline; i++) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
        if (res.ok) return;
        const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
        if (res.status === 503 && body?.error?.message) throw new ProductOsError('not_configured', `the LLM worker could not load ${this.model}: ${body.error.message}`);
      } catch (err) {
        if (err instanceof ProductOsError) throw err;
      }
      const state = (await container.inspect()).State;
      if (!state.Running) throw new ProductOsError('not_configured', `the LLM worker stopped while loading ${this.model} (exit code ${state.ExitCode}); is it a GGUF file llama.cpp can load?`);
      await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** Math.min(i, 4), 500)));
    }
    throw new ProductOsError('timed_out', `the LLM worker did not load ${this.model} within ${Math.round((this.opts.startTimeoutMs ?? 120_000) / 1000)} s`);
  }

  async generate(req: GenerateRequest): Promise<GenerateResult> {
    return (await this.start()).inner.generate(req);
  }

  async close(): Promise<void> {
    const started = this.started;
    this.started = undefined;
    const s = await started?.catch(() => null);
    await s?.container.remove({ force: true }).catch(() => undefined);
  }
}
