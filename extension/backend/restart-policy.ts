/**
 * When to restart a backend that died: after 1, 2, then 4 seconds, at most 3 times in any
 * 3 minutes; after that the supervisor gives up with a clear error until the user asks for a
 * restart (which resets the policy).
 */
export interface RestartPolicyOptions {
  delaysMs: readonly number[];
  maxRestarts: number;
  windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = { delaysMs: [1000, 2000, 4000], maxRestarts: 3, windowMs: 3 * 60 * 1000 };

export class RestartPolicy {
  private restarts: number[] = [];

  constructor(private readonly options: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {}

  /**
   * Records a restart at `now` and returns how long to wait before it, or undefined when the
   * budget for the window is spent (then nothing is recorded).
   */
  next(now: number): number | undefined {
    this.restarts = this.restarts.filter((t) => now - t < this.options.windowMs);
    if (this.restarts.length >= this.options.maxRestarts) return undefined;
    const delay = this.options.delaysMs[Math.min(this.restarts.length, this.options.delaysMs.length - 1)];
    this.restarts.push(now);
    return delay;
  }

  /** Restarts counted in the window ending at `now`. */
  count(now: number): number {
    return this.restarts.filter((t) => now - t < this.options.windowMs).length;
  }

  reset(): void {
    this.restarts = [];
  }

  describe(): string {
    return `${this.options.maxRestarts} restarts in ${Math.round(this.options.windowMs / 60000)} minutes`;
  }
}
