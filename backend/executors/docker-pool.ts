import type Dockerode from 'dockerode';
import { hardenedCreateOptions, LABELS, POOL_RUN_LABEL, type Resources, type WorkerSpec } from './docker-hardening';
import { WorkerContainer } from './docker-worker';

export interface PoolDeps {
  docker: Dockerode;
  /** Labels every pooled worker carries (session, store). */
  labels: Record<string, string>;
  tmpfsMb: number;
  /** How long a new worker may take to print `ready`. */
  readyTimeoutMs: number;
  onStarted(w: WorkerContainer, image: string): Promise<void>;
  onDiscarded(w: WorkerContainer, image: string, why: string): Promise<void>;
  warn(message: string): void;
}

interface Idle {
  worker: WorkerContainer;
  resources: Resources;
}

interface Slot {
  size: number;
  idle: Idle[];
  creating: number;
  /** The limits new workers get: the last ones a run asked for, so steady traffic needs no update. */
  resources: Resources;
  failures: number;
  retry: NodeJS.Timeout | null;
  /** Resolved whenever a worker becomes idle (or the pool gives up). */
  waiters: Array<() => void>;
}

const MAX_BACKOFF_MS = 30_000;

/**
 * Pre-started idle workers per image: each has printed `ready` and waits on stdin, so a run
 * dispatched to it needs no create and no start. A pooled worker still gets exactly one job
 * (the runtime reads one and exits; stdin is closed after it) and is removed afterwards; the
 * pool refills in the background. Pooled workers have no network and no bind mounts, so only
 * runs that need neither are dispatched to them. Size 0 turns an image's pool off.
 */
export class WarmPool {
  private readonly slots = new Map<string, Slot>();
  private stopping = false;
  private readonly creatingWorkers = new Set<Promise<unknown>>();

  constructor(
    private readonly deps: PoolDeps,
    sizes: Record<string, number>,
    defaultResources: Resources,
  ) {
    for (const [image, size] of Object.entries(sizes)) {
      if (!Number.isInteger(size) || size < 0) throw new Error(`pool size for ${image} must be a whole number ≥ 0, not ${size}`);
      this.slots.set(image, { size, idle: [], creating: 0, resources: { ...defaultResources }, failures: 0, retry: null, waiters: [] });
    }
  }

  start(): void {
    for (const image of this.slots.keys()) this.refill(image);
  }

  has(image: string): boolean {
    return (this.slots.get(image)?.size ?? 0) > 0;
  }

  idleCount(image: string): number {
    return this.slots.get(image)?.idle.length ?? 0;
  }

  /**
   * An idle worker for `image`, out of the pool for good, or null. Prefers one whose limits
   * already equal `resources`; `resized` says whether the caller must update them.
   */
  take(image: string, resources: Resources): { worker: WorkerContainer; resized: boolean } | null {
    const slot = this.slots.get(image);
    if (!slot || slot.size === 0 || this.stopping) return null;
    slot.resources = { ...resources };
    let i = slot.idle.findIndex((x) => sameResources(x.resources, resources));
    const resized = i < 0;
    if (i < 0) i = 0;
    const picked = slot.idle.splice(i, 1)[0];
    this.refill(image);
    return picked ? { worker: picked.worker, resized } : null;
  }

  /** Resolves once every pool is full (bounded: rejects after `timeoutMs`). */
  async ready(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const [image, slot] of this.slots) {
      while (slot.idle.length < slot.size) {
        const left = deadline - Date.now();
        if (left <= 0 || this.stopping) throw new Error(`the warm pool for ${image} has ${slot.idle.length} of ${slot.size} workers ready after ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(left, 250));
          slot.waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    }
  }

  /** Removes every idle worker and stops refilling; waits for workers being created. */
  async stop(): Promise<void> {
    this.stopping = true;
    const idle: Array<[string, WorkerContainer]> = [];
    for (const [image, slot] of this.slots) {
      if (slot.retry) clearTimeout(slot.retry);
      for (const x of slot.idle.splice(0)) idle.push([image, x.worker]);
      for (const w of slot.waiters.splice(0)) w();
    }
    await Promise.allSettled([...this.creatingWorkers]);
    for (const [image, slot] of this.slots) for (const x of slot.idle.splice(0)) idle.push([image, x.worker]);
    await Promise.allSettled(idle.map(([image, w]) => this.discard(w, image, 'backend stopped')));
  }

  private refill(image: string): void {
    const slot = this.slots.get(image);
    if (!slot || this.stopping || slot.retry) return;
    while (slot.idle.length + slot.creating < slot.size) {
      slot.creating += 1;
      const p = this.createOne(image, slot).finally(() => {
        slot.creating -= 1;
        this.creatingWorkers.delete(p);
      });
      this.creatingWorkers.add(p);
    }
  }

  private async createOne(image: string, slot: Slot): Promise<void> {
    const resources = { ...slot.resources };
    const spec: WorkerSpec = {
      image,
      labels: { ...this.deps.labels, [LABELS.run]: POOL_RUN_LABEL, [LABELS.image]: image },
      resources,
      network: 'none',
      mounts: [],
      tmpfsMb: this.deps.tmpfsMb,
    };
    let worker: WorkerContainer | null = null;
    try {
      worker = await WorkerContainer.create(this.deps.docker, hardenedCreateOptions(spec));
      const w = worker;
      const ready = new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no "ready" from a new worker within ${this.deps.readyTimeoutMs} ms`)), this.deps.readyTimeoutMs);
        w.setSink((line) => {
          if (line.type === 'ready') {
            clearTimeout(t);
            resolve();
          }
        });
        void w.ended.then(() => {
          clearTimeout(t);
          reject(new Error(`a new worker exited before it was ready${w.stderr() ? `: ${w.stderr()}` : ''}`));
        });
      });
      ready.catch(() => undefined); // awaited below; this only keeps an early failure from counting as unhandled
      await w.start();
      await this.deps.onStarted(w, image);
      await ready;
      w.clearSink();
      if (this.stopping) {
        await this.discard(w, image, 'backend stopped');
        return;
      }
      slot.failures = 0;
      slot.idle.push({ worker: w, resources });
      // An idle worker that dies (killed, engine restarted) leaves the pool and is replaced.
      void w.ended.then(() => this.onIdleEnded(image, slot, w));
      for (const fn of slot.waiters.splice(0)) fn();
    } catch (err) {
      slot.failures += 1;
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (slot.failures - 1));
      this.deps.warn(`warm pool for ${image}: could not start a worker (${(err as Error).message}); retrying in ${delay} ms`);
      if (worker) await this.discard(worker, image, 'failed to start').catch(() => undefined);
      if (!this.stopping && !slot.retry) {
        slot.retry = setTimeout(() => {
          slot.retry = null;
          this.refill(image);
        }, delay);
        slot.retry.unref();
      }
      for (const fn of slot.waiters.splice(0)) fn();
    }
  }

  private onIdleEnded(image: string, slot: Slot, w: WorkerContainer): void {
    const i = slot.idle.findIndex((x) => x.worker === w);
    if (i < 0) return; // taken by a run: its end is the run's business
    slot.idle.splice(i, 1);
    void this.discard(w, image, 'idle worker exited').catch(() => undefined);
    this.refill(image);
  }

  private async discard(w: WorkerContainer, image: string, why: string): Promise<void> {
    await w.remove().catch((err) => this.deps.warn(`could not remove worker ${w.id.slice(0, 12)}: ${(err as Error).message}`));
    await this.deps.onDiscarded(w, image, why);
  }
}

function sameResources(a: Resources, b: Resources): boolean {
  return a.memory_mb === b.memory_mb && a.cpus === b.cpus && a.pids === b.pids;
}
