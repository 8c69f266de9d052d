import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, isJSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import { createBackend, type StartOptions } from '../main';
import { createMcpServer } from './tool-server';
import { remoteToken } from '../remote-token';

/**
 * `product-os mcp --stdio`: for MCP clients that launch a command. With PRODUCT_OS_URL it
 * relays messages to that backend's /mcp (so the editor's backend and the agent share one
 * store); otherwise it serves an embedded backend on the data folder.
 */
export async function runMcpStdio(opts: StartOptions): Promise<void> {
  const stdio = new StdioServerTransport();
  const remote = process.env.PRODUCT_OS_URL;
  if (remote) {
    const http = new StreamableHTTPClientTransport(new URL('/mcp', remote), {
      requestInit: { headers: { authorization: `Bearer ${remoteToken(opts.overrides?.dataDir)}` } },
    });
    // A request the backend cannot take (down, wrong token) gets an error response now,
    // rather than the client waiting out its own timeout.
    stdio.onmessage = (m) =>
      void http.send(m).catch((err: Error) => {
        process.stderr.write(`product-os mcp: ${err.message}\n`);
        if (isJSONRPCRequest(m)) void stdio.send({ jsonrpc: '2.0', id: m.id, error: { code: ErrorCode.InternalError, message: `Product OS backend at ${remote}: ${err.message}` } });
      });
    http.onmessage = (m) => void stdio.send(m);
    await http.start();
    await stdio.start();
    await new Promise<void>((resolve) => {
      stdio.onclose = resolve;
      process.stdin.once('end', resolve);
    });
    await http.close();
    return;
  }
  const backend = await createBackend({ ...opts, overrides: { ...opts.overrides, port: 0 } });
  const server = createMcpServer(backend.context);
  await server.connect(stdio);
  // The server owns the transport's onclose once connected; listen on the server's.
  await new Promise<void>((resolve) => {
    server.onclose = resolve;
    process.stdin.once('end', resolve);
  });
  await backend.close();
}
