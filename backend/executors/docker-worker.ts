import type Dockerode from 'dockerode';
import type { Duplex } from 'node:stream';
import { LOG_LEVELS, type WorkerJob, type WorkerLine } from '../../contracts/worker-protocol';

/** A line a worker printed: a protocol line, or anything else as plain text. */
export type WorkerOutput = WorkerLine | { type: 'text'; stream: 'stdout' | 'stderr'; text: string };
export type OutputSink = (line: WorkerOutput) => void;

export interface ExitInfo {
  exitCode: number;
  oomKilled: boolean;
}

/** One line may be at most this long (a result included); a longer one is a protocol error. */
export const MAX_LINE_BYTES = 32 * 1024 * 1024;
const STDERR_TAIL_CHARS = 2000;
/** Lines kept while no sink listens; a worker that prints more before its run listens loses the rest. */
const MAX_BACKLOG = 10_000;

/**
 * One worker container, created and attached (stdin, stdout, stderr on one hijacked
 * connection) before it starts, so no output is ever missed and the job can be written at any
 * time. Splits Docker's multiplexed stream into lines and hands each to the current sink: the
 * warm pool's (waiting for `ready`), then the run's.
 */
export class WorkerContainer {
  /** Null while nobody listens: lines wait in the backlog, so none printed before a run listens is lost. */
  private sink: OutputSink | null = null;
  private backlog: WorkerOutput[] = [];
  private readonly lines = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  private stderrTail = '';
  private exitPromise: Promise<ExitInfo> | null = null;
  private sent = false;
  /** Resolves when the attach stream ends: the worker process is gone (or the engine hung up). */
  readonly ended: Promise<void>;
  /** Set when a line broke the protocol (too long); the worker is killed. */
  protocolError: string | null = null;
  readonly createdAt = Date.now();

  private constructor(
    readonly container: Dockerode.Container,
    private readonly stream: Duplex,
  ) {
    this.ended = new Promise((resolve) => {
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    });
    const demux = new Demuxer((kind, chunk) => this.onChunk(kind, chunk));
    stream.on('data', (chunk: Buffer) => demux.push(chunk));
    void this.ended.then(() => {
      for (const kind of ['stdout', 'stderr'] as const) {
        const rest = this.lines[kind].flush();
        if (rest !== null) this.onLine(kind, rest);
      }
    });
  }

  get id(): string {
    return this.container.id;
  }

  /** Creates the container and attaches to it; it is not started. */
  static async create(docker: Dockerode, opts: Dockerode.ContainerCreateOptions): Promise<WorkerContainer> {
    const container = await docker.createContainer(opts);
    try {
      const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
      return new WorkerContainer(container, stream);
    } catch (err) {
      await container.remove({ force: true }).catch(() => undefined);
      throw err;
    }
  }

  async start(): Promise<void> {
    await this.container.start();
    // Asked only once started: "not-running" then means "until it exits".
    this.exitPromise = this.container.wait({ condition: 'not-running' }).then(
      (r: { StatusCode?: number }) => ({ exitCode: r.StatusCode ?? -1, oomKilled: false }),
      () => ({ exitCode: -1, oomKilled: false }),
    );
  }

  /** Hands every line to `sink` from now on, starting with those that waited. */
  setSink(sink: OutputSink): void {
    this.sink = sink;
    const waiting = this.backlog;
    this.backlog = [];
    for (const line of waiting) sink(line);
  }

  /** Lines wait again until the next setSink (a pooled worker between `ready` and its run). */
  clearSink(): void {
    this.sink = null;
  }

  private emit(line: WorkerOutput): void {
    if (this.sink) this.sink(line);
    else if (this.backlog.length < MAX_BACKLOG) this.backlog.push(line);
  }

  /** Writes the job as one line and closes stdin: a worker gets exactly one job. */
  send(job: WorkerJob): void {
    if (this.sent) throw new Error(`worker ${this.id} was already given a job`);
    this.sent = true;
    this.stream.write(`${JSON.stringify(job)}\n`);
    this.stream.end();
  }

  get jobSent(): boolean {
    return this.sent;
  }

  /** The exit code, and whether the kernel's OOM killer ended it (read back with inspect). */
  async exit(): Promise<ExitInfo> {
    if (!this.exitPromise) throw new Error('worker not started');
    const { exitCode } = await this.exitPromise;
    if (exitCode === 0) return { exitCode, oomKilled: false };
    try {
      const state = (await this.container.inspect()).State;
      return { exitCode: state.ExitCode ?? exitCode, oomKilled: state.OOMKilled === true };
    } catch {
      return { exitCode, oomKilled: false };
    }
  }

  /** Whether it exited within `ms`. */
  async exitedWithin(ms: number): Promise<boolean> {
    if (!this.exitPromise) return true;
    let t: NodeJS.Timeout | undefined;
    const timer = new Promise<false>((r) => (t = setTimeout(() => r(false), ms)));
    const done = await Promise.race([this.exitPromise.then(() => true as const), timer]);
    clearTimeout(t);
    return done;
  }

  /** The last lines the worker wrote on stderr (for error messages). */
  stderr(): string {
    return this.stderrTail.trim();
  }

  async kill(): Promise<void> {
    await this.container.kill({ signal: 'SIGKILL' }).catch(() => undefined); // 404 / 409: gone or not running
  }

  async remove(): Promise<void> {
    this.stream.destroy();
    try {
      await this.container.remove({ force: true });
    } catch (err) {
      const code = (err as { statusCode?: number }).statusCode;
      if (code !== 404 && code !== 409) throw err; // gone already, or removal already under way
    }
  }

  private onChunk(kind: 'stdout' | 'stderr', chunk: Buffer): void {
    for (const line of this.lines[kind].push(chunk)) this.onLine(kind, line);
    if (this.lines[kind].pendingBytes > MAX_LINE_BYTES && !this.protocolError) {
      this.protocolError = `the worker wrote a line longer than ${MAX_LINE_BYTES} bytes on ${kind}`;
      void this.kill();
    }
  }

  private onLine(kind: 'stdout' | 'stderr', text: string): void {
    if (kind === 'stderr') {
      this.stderrTail = (this.stderrTail + text + '\n').slice(-STDERR_TAIL_CHARS);
      this.emit({ type: 'text', stream: 'stderr', text });
      return;
    }
    this.emit(parseLine(text) ?? { type: 'text', stream: 'stdout', text });
  }
}

/** A protocol line, or null when the text is not one. */
export function parseLine(text: string): WorkerLine | null {
  if (!text.startsWith('{')) return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object') return null;
  const l = v as Record<string, unknown>;
  switch (l.type) {
    case 'ready':
      return { type: 'ready', pid: Number(l.pid) };
    case 'log':
      if (typeof l.message !== 'string') return null;
      return {
        type: 'log',
        level: typeof l.level === 'string' && LOG_LEVELS.has(l.level) ? (l.level as 'info') : 'info',
        message: l.message,
        ...(l.fields && typeof l.fields === 'object' && !Array.isArray(l.fields) ? { fields: l.fields as Record<string, unknown> } : {}),
      };
    case 'progress':
      if (typeof l.progress !== 'number' || !Number.isFinite(l.progress)) return null;
      return {
        type: 'progress',
        progress: l.progress,
        ...(typeof l.total === 'number' && Number.isFinite(l.total) ? { total: l.total } : {}),
        ...(typeof l.message === 'string' ? { message: l.message } : {}),
      };
    case 'result':
      return { type: 'result', output: l.output };
    case 'error':
      return {
        type: 'error',
        code: typeof l.code === 'string' ? l.code : 'executor_failed',
        message: typeof l.message === 'string' ? l.message : 'the worker reported an error',
        ...(l.details === undefined ? {} : { details: l.details }),
      };
    default:
      return null;
  }
}

/** Docker's stream multiplexing (Tty false): 8-byte header (stream, 0, 0, 0, size BE32), then the payload. */
class Demuxer {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly emit: (kind: 'stdout' | 'stderr', chunk: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (this.buf.length >= 8) {
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + size) return;
      const kind = this.buf[0] === 2 ? 'stderr' : 'stdout';
      this.emit(kind, this.buf.subarray(8, 8 + size));
      this.buf = this.buf.subarray(8 + size);
    }
  }
}

/** Splits a byte stream into UTF-8 lines without re-scanning what it has seen. */
class LineSplitter {
  private parts: Buffer[] = [];
  pendingBytes = 0;

  push(chunk: Buffer): string[] {
    const out: string[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      const piece = chunk.subarray(start, nl);
      out.push(this.parts.length ? Buffer.concat([...this.parts, piece]).toString('utf8') : piece.toString('utf8'));
      this.parts = [];
      this.pendingBytes = 0;
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.parts.push(chunk.subarray(start));
      this.pendingBytes += chunk.length - start;
    }
    return out;
  }

  flush(): string | null {
    if (this.parts.length === 0) return null;
    const text = Buffer.concat(this.parts).toString('utf8');
    this.parts = [];
    this.pendingBytes = 0;
    return text;
  }
}
