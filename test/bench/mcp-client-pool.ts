import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export interface PoolOptions {
  url: string;
  headers: Record<string, string>;
  clients: number;
  tool: string;
  args: Record<string, unknown>;
}

export interface Measurement {
  /** Calls that returned a non-error result with the expected structuredContent. */
  ok: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
  /** Latency of every call, ms, ascending. */
  latencies: Float64Array;
  /** CPU time of the thread the clients ran on, ms (NaN on a Node without process.threadCpuUsage). */
  clientCpuMs: number;
}

/** CPU time (user + system) of the calling thread so far, ms; NaN before Node 23.9. */
export function threadCpuMs(): number {
  const usage = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage?.();
  return usage ? (usage.user + usage.system) / 1000 : NaN;
}

/**
 * N MCP sessions (one SDK Client + StreamableHTTPClientTransport each) against one server.
 * `measure` has every client loop tools/call until the shared call budget or the deadline
 * runs out, whichever comes first.
 */
export class ClientPool {
  private constructor(
    private readonly opts: PoolOptions,
    private readonly clients: Client[],
  ) {}

  static async connect(opts: PoolOptions): Promise<ClientPool> {
    const clients: Client[] = [];
    for (let i = 0; i < opts.clients; i++) {
      const client = new Client({ name: 'product-os-bench', version: '0.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(opts.url), { requestInit: { headers: opts.headers } }));
      // Both sides alike: the client caches the tool's outputSchema and checks every result against it.
      await client.listTools();
      clients.push(client);
    }
    return new ClientPool(opts, clients);
  }

  async measure(maxCalls: number, maxSeconds: number): Promise<Measurement> {
    const latencies: number[] = [];
    let issued = 0;
    let ok = 0;
    let errors = 0;
    let firstError: string | undefined;
    const start = performance.now();
    const cpu = threadCpuMs();
    const deadline = start + maxSeconds * 1000;
    const loop = async (client: Client) => {
      while (issued < maxCalls && performance.now() < deadline) {
        issued += 1;
        const t0 = performance.now();
        try {
          const result = await client.callTool({ name: this.opts.tool, arguments: this.opts.args });
          const sc = result.structuredContent as { pong?: unknown } | undefined;
          if (result.isError || sc?.pong !== true) throw new Error(`unexpected result: ${JSON.stringify(result).slice(0, 300)}`);
          ok += 1;
        } catch (err) {
          errors += 1;
          firstError ??= (err as Error).message;
        }
        latencies.push(performance.now() - t0);
      }
    };
    await Promise.all(this.clients.map(loop));
    const elapsedMs = performance.now() - start;
    return { ok, errors, firstError, elapsedMs, latencies: Float64Array.from(latencies).sort(), clientCpuMs: threadCpuMs() - cpu };
  }

  async close(): Promise<void> {
    await Promise.all(
      this.clients.map(async (c) => {
        const t = c.transport as StreamableHTTPClientTransport | undefined;
        await t?.terminateSession().catch(() => undefined);
        await c.close().catch(() => undefined);
      }),
    );
  }
}
