/**
 * The backend as a child process: spawn `dist/cli.js serve`, wait for its ready line, send its
 * stderr to the log, and stop it gracefully (SIGTERM, then SIGKILL after a grace period).
 * Spawning goes through an injected function, so tests drive a fake process.
 */
import type { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { LineSplitter, parseReadyLine, parseStderrLine, type LogLevel, type ReadyLine } from './ready-line';
import { type Clock, systemClock } from './types';

/** What we use of a ChildProcess (node's ChildProcess satisfies it). */
export interface ChildLike extends EventEmitter {
  readonly pid?: number;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  readonly stdin: Writable | null;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  kill(signal?: NodeJS.Signals): boolean;
}

export type Spawner = (command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }) => ChildLike;

export interface LaunchSpec {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** How long to wait for the ready line before killing the process. */
  readyTimeoutMs: number;
  /** Written to the process's stdin right after it starts (the secrets hand-off); stdin stays open. */
  stdin?: string;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningProcess {
  ready: ReadyLine;
  pid: number | undefined;
  /** Resolves once, when the process has exited (whoever stopped it). */
  exited: Promise<ExitInfo>;
  /** SIGTERM (and closes stdin), then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs: number): Promise<ExitInfo>;
}

export class LaunchError extends Error {
  constructor(
    message: string,
    readonly stderrTail: string[],
  ) {
    super(message);
    this.name = 'LaunchError';
  }
}

/**
 * Starts the process and resolves at its ready line. Rejects with a LaunchError (naming the
 * exit code and the last stderr lines) when it exits first, fails to spawn, or stays silent
 * past `readyTimeoutMs` (then it is killed).
 */
export function launchProcess(
  spec: LaunchSpec,
  spawn: Spawner,
  onStderr: (level: LogLevel, text: string) => void,
  clock: Clock = systemClock,
): Promise<RunningProcess> {
  let child: ChildLike;
  try {
    child = spawn(spec.command, spec.args, { env: spec.env, cwd: spec.cwd });
  } catch (err) {
    return Promise.reject(new LaunchError(`could not start the backend: ${(err as Error).message}`, []));
  }
  if (spec.stdin !== undefined) {
    // A process that died at once closes its stdin: the exit is reported below, not an EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.write(spec.stdin);
  }
  const tail: string[] = [];
  const remember = (line: string) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
  };

  const exited = new Promise<ExitInfo>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    child.once('exit', (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal }));
    // A spawn failure (ENOENT) emits 'error' and maybe no 'exit'.
    child.once('error', () => resolve({ code: child.exitCode, signal: child.signalCode }));
  });

  const errSplit = new LineSplitter();
  const forward = (line: string) => {
    if (!line.trim()) return;
    remember(line);
    const { level, text } = parseStderrLine(line);
    onStderr(level, text);
  };
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => errSplit.push(chunk).forEach(forward));
  child.stderr?.on('end', () => errSplit.flush().forEach(forward));

  const stop = (graceMs: number): Promise<ExitInfo> => {
    if (child.exitCode !== null || child.signalCode !== null) return exited;
    try {
      child.stdin?.end();
    } catch {
      /* already closed */
    }
    child.kill('SIGTERM');
    const timer = clock.setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) {
        onStderr('warn', `backend did not exit ${graceMs} ms after SIGTERM: killing it`);
        child.kill('SIGKILL');
      }
    }, graceMs);
    return exited.finally(() => clock.clearTimeout(timer));
  };

  return new Promise<RunningProcess>((resolve, reject) => {
    let settled = false;
    const outSplit = new LineSplitter();
    const timer = clock.setTimeout(() => {
      if (settled) return;
      settled = true;
      void stop(2000);
      reject(new LaunchError(`the backend printed no ready line within ${Math.round(spec.readyTimeoutMs / 1000)} s`, tail));
    }, spec.readyTimeoutMs);
    const onLine = (line: string) => {
      if (settled) return;
      const ready = parseReadyLine(line);
      if (!ready) {
        if (line.trim()) onStderr('info', `[stdout] ${line}`);
        return;
      }
      settled = true;
      clock.clearTimeout(timer);
      resolve({ ready, pid: child.pid, exited, stop });
    };
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => outSplit.push(chunk).forEach(onLine));
    child.once('error', (err: Error) => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      reject(new LaunchError(`could not start the backend (${spec.command}): ${err.message}`, tail));
    });
    void exited.then(({ code, signal }) => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      // Let the last stderr lines arrive before naming them.
      setImmediate(() => {
        const last = tail.slice(-3).join(' | ');
        reject(new LaunchError(`the backend exited (${signal ?? `code ${code}`}) before it was ready${last ? `: ${last}` : ''}`, tail));
      });
    });
  });
}
