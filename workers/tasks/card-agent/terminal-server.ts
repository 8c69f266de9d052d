import { spawn } from 'node:child_process';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { TERMINAL_TOOLS, WORKSPACE, type CommandResult } from '../../../contracts/tasks/card-agent';
import { sandboxServer, toolText, type SandboxTool } from './tool-server';

/** Output kept per stream; the rest (from the start) is dropped and said so. */
const MAX_OUTPUT = 64 * 1024;

export interface TerminalOptions {
  /** The shell (default /bin/sh: busybox in the worker image). */
  shell?: string;
  /** The environment commands get (default: a PATH and HOME=/tmp, nothing of the server's own). */
  env?: NodeJS.ProcessEnv;
  /** The longest a command may ask for, seconds (default: the contract's 600). */
  maxTimeoutSeconds?: number;
}

/**
 * Runs one command, in its own process group, in `cwd`, killing the whole group at the time
 * limit or on abort: a command's children cannot outlive it. Keeps the last MAX_OUTPUT bytes
 * of stdout and stderr each.
 */
export function runCommand(command: string, cwd: string, timeoutMs: number, signal: AbortSignal, opts: TerminalOptions = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(opts.shell ?? '/bin/sh', ['-c', command], {
      cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: opts.env ?? { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/tmp', LANG: 'C.UTF-8' },
    });
    const out = { stdout: new Tail(), stderr: new Tail() };
    child.stdout.on('data', (d: Buffer) => out.stdout.push(d));
    child.stderr.on('data', (d: Buffer) => out.stderr.push(d));
    let timedOut = false;
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    signal.addEventListener('abort', killGroup, { once: true });
    const finish = (code: number | null) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', killGroup);
      killGroup(); // background children of a finished command go too
      resolve({
        exit_code: timedOut ? null : code,
        timed_out: timedOut,
        duration_ms: Date.now() - started,
        stdout: out.stdout.text(),
        stderr: out.stderr.text(),
        truncated: out.stdout.dropped + out.stderr.dropped > 0,
      });
    };
    child.once('error', (err) => {
      out.stderr.push(Buffer.from(`could not start the shell: ${err.message}\n`));
      finish(127);
    });
    child.once('close', (code) => finish(code));
  });
}

class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  dropped = 0;
  push(d: Buffer): void {
    this.chunks.push(d);
    this.size += d.length;
    while (this.size > MAX_OUTPUT && this.chunks.length > 0) {
      const over = this.size - MAX_OUTPUT;
      const first = this.chunks[0]!;
      if (first.length <= over) {
        this.chunks.shift();
        this.size -= first.length;
        this.dropped += first.length;
      } else {
        this.chunks[0] = first.subarray(over);
        this.size -= over;
        this.dropped += over;
      }
    }
  }
  text(): string {
    const t = Buffer.concat(this.chunks).toString('utf8');
    return this.dropped > 0 ? `[… ${this.dropped} earlier bytes dropped]\n${t}` : t;
  }
}

/** How a result reads to the model. */
export function renderResult(r: CommandResult): string {
  const head = r.timed_out ? `timed out after ${r.duration_ms} ms (the command was killed)` : `exit code ${r.exit_code} in ${r.duration_ms} ms`;
  return [head, r.stdout ? `--- stdout ---\n${r.stdout}` : '', r.stderr ? `--- stderr ---\n${r.stderr}` : ''].filter(Boolean).join('\n');
}

/**
 * The terminal server: one tool, run_command, in the workspace, with a time limit per command.
 * It has no network because the worker has none (`--network none`); it never sees git
 * credentials either (the backend commits).
 */
export function terminalServer(root: string, opts: TerminalOptions = {}): Server {
  const max = opts.maxTimeoutSeconds ?? 600;
  const tools: Record<keyof typeof TERMINAL_TOOLS, SandboxTool> = {
    run_command: {
      description: `Run a shell command (busybox sh) in ${WORKSPACE}, the repository. No network. Killed after timeout_seconds (default 60).`,
      input: TERMINAL_TOOLS.run_command,
      run: async (args, signal) => {
        const { command, timeout_seconds = 60 } = args as { command: string; timeout_seconds?: number };
        const r = await runCommand(command, root, Math.min(timeout_seconds, max) * 1000, signal, opts);
        return { ...toolText(renderResult(r), r as unknown as Record<string, unknown>), isError: r.timed_out || r.exit_code !== 0 };
      },
    },
  };
  return sandboxServer('product-os-workspace-terminal', tools);
}
