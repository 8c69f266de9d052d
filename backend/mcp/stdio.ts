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
        const message = relayFailure(remote, err);
        process.stderr.write(`product-os mcp: ${message}\n`);
        if (isJSONRPCRequest(m)) void stdio.send({ jsonrpc: '2.0', id: m.id, error: { code: ErrorCode.InternalError, message } });
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

/**
 * Why a relayed message could not be delivered, and what to do about it: the SDK's own text
 * is "fetch failed" for a server that is down, which names neither the server nor a way out.
 */
export function relayFailure(remote: string, err: Error): string {
  const cause = (err as { cause?: { code?: string } }).cause?.code;
  const where = `the Product OS backend at PRODUCT_OS_URL=${remote}`;
  if (cause || /fetch failed/i.test(err.message)) {
    return `${where} does not answer${cause ? ` (${cause})` : ''}: start it (product-os serve, or open the editor with Product OS), or unset PRODUCT_OS_URL so this command serves the data folder itself`;
  }
  if (/\b401\b/.test(err.message)) return `${where} refused the token: set PRODUCT_OS_TOKEN to that backend's token (its data folder's token file)`;
  return `${where}: ${err.message}`;
}
