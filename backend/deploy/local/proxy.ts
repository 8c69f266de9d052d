import * as net from 'node:net';

/**
 * The service's stable address (Cloud Run's service URL): a loopback TCP listener that hands
 * each new connection to the revision serving traffic. Moving traffic is one assignment, so a
 * deploy or rollback switches without a gap; connections already open finish on the revision
 * they started on.
 */
export class ServiceProxy {
  private upstream: number | null = null;
  private readonly sockets = new Set<net.Socket>();
  private constructor(private readonly server: net.Server) {}

  /** Listens on 127.0.0.1:`port` (0: a free one). */
  static async listen(port: number): Promise<ServiceProxy> {
    const server = net.createServer();
    const proxy = new ServiceProxy(server);
    server.on('connection', (client) => proxy.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  route(upstreamPort: number | null): void {
    this.upstream = upstreamPort;
  }

  private accept(client: net.Socket): void {
    const port = this.upstream;
    if (port === null) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: '127.0.0.1', port });
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
