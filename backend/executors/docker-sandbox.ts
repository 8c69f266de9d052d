import type Dockerode from 'dockerode';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { DockerExecTransport } from './docker-exec-transport';
import type { WorkerContainer } from './docker-worker';
import { WORKSPACE } from '../../contracts/tasks/card-agent';

/** How a sandbox ended, for the worker audit's stop row. */
export type SandboxOutcome = 'succeeded' | 'failed' | 'cancelled' | 'timed_out' | 'shutdown';

/**
 * A started, hardened worker that the backend drives itself (DockerExecutor.openSandbox): its
 * main process only holds the container open, and the backend starts MCP servers in it with
 * `docker exec` (node /app/card-mcp.js filesystem|terminal), talking to them over the exec's
 * stdio. Closing it kills and removes the container (through the executor, which audits it).
 */
export class DockerSandbox {
  private readonly clients: Client[] = [];
  private closing: Promise<void> | null = null;

  constructor(
    private readonly docker: Dockerode,
    readonly worker: WorkerContainer,
    private readonly retire: (outcome: SandboxOutcome) => Promise<void>,
  ) {}

  get containerId(): string {
    return this.worker.id;
  }

  /** An MCP client connected to `node /app/card-mcp.js <server>` inside the worker. */
  async mcp(server: 'filesystem' | 'terminal'): Promise<Client> {
    const transport = new DockerExecTransport(this.docker, this.worker.container, ['/usr/local/bin/node', '/app/card-mcp.js', server], WORKSPACE);
    const client = new Client({ name: 'product-os-card-agent', version: '0.1.0' });
    this.clients.push(client);
    try {
      await client.connect(transport, { timeout: 30_000 });
    } catch (err) {
      const stderr = transport.stderr();
      throw new Error(`could not reach the ${server} server in the card's worker: ${(err as Error).message}${stderr ? ` (${stderr})` : ''}`);
    }
    return client;
  }

  /** Kills and removes the worker (once; later calls wait for the first). */
  close(outcome: SandboxOutcome): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled(this.clients.map((c) => c.close()));
      await this.worker.kill();
      await this.retire(outcome);
    })();
    return this.closing;
  }
}
