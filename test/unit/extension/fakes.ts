/** Fakes shared by the extension's unit tests: a manual clock and a scripted backend launcher. */
import type { Clock, Connection } from '../../../extension/backend/types';
import type { LaunchedBackend } from '../../../extension/backend/launcher';

/** Lets pending promise chains run (several turns of the event loop). */
export async function flush(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}

export class FakeClock implements Clock {
  private t = 1_000_000;
  private seq = 0;
  private timers: Array<{ id: number; at: number; fn: () => void }> = [];

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.push({ id, at: this.t + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== handle);
  }

  pending(): number[] {
    return this.timers.map((x) => x.at - this.t).sort((a, b) => a - b);
  }

  /** Moves time forward, firing due timers in order and letting promises settle between them. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flush();
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.fn();
    }
    this.t = end;
    await flush();
  }
}

export interface FakeBackend extends LaunchedBackend {
  crash(code?: number): void;
  stopped: boolean;
}

/** A launcher whose backends the test crashes at will; `failNext` makes launches reject. */
export class FakeLauncher {
  launched: FakeBackend[] = [];
  failNext = 0;
  attempts = 0;

  launch = async (): Promise<LaunchedBackend> => {
    this.attempts++;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('the backend exited (code 1) before it was ready');
    }
    const n = this.launched.length + 1;
    let resolveExit!: (v: unknown) => void;
    const exited = new Promise((r) => (resolveExit = r));
    const connection: Connection = { url: `http://127.0.0.1:${9000 + n}`, mcpUrl: `http://127.0.0.1:${9000 + n}/mcp`, token: `token-${n}` };
    const backend: FakeBackend = {
      connection,
      pid: 4000 + n,
      origin: 'spawned',
      exited,
      stopped: false,
      stop: async () => {
        backend.stopped = true;
        resolveExit({ code: 0, signal: 'SIGTERM' });
      },
      crash: (code = 1) => resolveExit({ code, signal: null }),
    };
    this.launched.push(backend);
    return backend;
  };
}
