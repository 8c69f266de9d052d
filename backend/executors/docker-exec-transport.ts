import { PassThrough, type Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

const STDERR_TAIL = 2000;

/**
 * MCP's stdio transport over a `docker exec` in a running worker: the exec's stdin and stdout
 * (hijacked, Docker-multiplexed) carry newline-delimited JSON-RPC, as for a local child
 * process. The backend reaches the servers inside a worker this way, so the worker needs no
 * network at all. stderr is kept (its tail) for error messages.
 */
export class DockerExecTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private stream: Duplex | null = null;
  private readonly buffer = new ReadBuffer();
  private stderrTail = '';
  private closed = false;

  constructor(
    private readonly docker: Dockerode,
    private readonly container: Dockerode.Container,
    private readonly cmd: string[],
    private readonly workingDir: string,
  ) {}

  async start(): Promise<void> {
    const exec = await this.container.exec({ Cmd: this.cmd, AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false, WorkingDir: this.workingDir });
    const stream = (await exec.start({ hijack: true, stdin: true })) as unknown as Duplex;
    this.stream = stream;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    this.docker.modem.demuxStream(stream, stdout, stderr);
    stdout.on('data', (chunk: Buffer) => {
      this.buffer.append(chunk);
      for (;;) {
        let msg: JSONRPCMessage | null;
        try {
          msg = this.buffer.readMessage();
        } catch (err) {
          this.onerror?.(err as Error);
          continue;
        }
        if (msg === null) break;
        this.onmessage?.(msg);
      }
    });
    stderr.on('data', (chunk: Buffer) => (this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL)));
    stream.on('error', (err) => this.onerror?.(err));
    const ended = () => {
      if (this.closed) return;
      this.closed = true;
      this.onclose?.();
    };
    stream.once('end', ended);
    stream.once('close', ended);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const stream = this.stream;
    if (!stream || this.closed) throw new Error(`the sandbox server ${this.cmd.join(' ')} is gone${this.stderrTail ? `: ${this.stderrTail.trim()}` : ''}`);
    await new Promise<void>((resolve, reject) => stream.write(serializeMessage(message), (err) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    this.buffer.clear();
    this.stream?.end();
    this.stream?.destroy();
  }

  /** What the server wrote on stderr lately (for error messages). */
  stderr(): string {
    return this.stderrTail.trim();
  }
}
