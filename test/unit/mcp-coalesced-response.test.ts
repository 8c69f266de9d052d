import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { coalesceResponse } from '../../backend/mcp/coalesced-response';

type Step = { at: number; write?: string; end?: true };

/**
 * A server that answers as the SDK's adapter does (SSE headers flushed at once, then events,
 * then the end), through coalesceResponse; it counts the writes that reach the socket, and the
 * client notes when the headers and each piece of the body arrive.
 */
async function exchange(steps: Step[], holdMs = 50) {
  let socketWrites = 0;
  const server = http.createServer((req, res) => {
    const socket = req.socket as unknown as { _write: (...a: unknown[]) => void; _writev?: (...a: unknown[]) => void };
    for (const k of ['_write', '_writev'] as const) {
      const original = socket[k]?.bind(socket);
      if (original) socket[k] = (...a: unknown[]) => void (socketWrites++, original(...a));
    }
    coalesceResponse(res, holdMs);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    for (const s of steps) {
      setTimeout(() => {
        if (s.write) res.write(s.write);
        if (s.end) res.end();
      }, s.at);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const t0 = performance.now();
    return await new Promise<{ headersAt: number; headers: http.IncomingHttpHeaders; pieces: Array<{ at: number; text: string }>; body: string; socketWrites: number }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
          const headersAt = performance.now() - t0;
          const headers = res.headers;
          const pieces: Array<{ at: number; text: string }> = [];
          res.setEncoding('utf8');
          res.on('data', (text: string) => pieces.push({ at: performance.now() - t0, text }));
          res.on('end', () => resolve({ headersAt, headers, pieces, body: pieces.map((p) => p.text).join(''), socketWrites }));
        })
        .on('error', reject);
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('MCP responses: a short call’s SSE answer in one write', () => {
  it('a call that ends within the hold sends headers, every event and the end in one write, sized', async () => {
    const r = await exchange([{ at: 0, write: 'id: 1\ndata: \n\n' }, { at: 5, write: 'event: message\ndata: {"result":{"é":1}}\n\n', end: true }]);
    assert.equal(r.body, 'id: 1\ndata: \n\nevent: message\ndata: {"result":{"é":1}}\n\n');
    assert.equal(r.socketWrites, 1);
    assert.equal(r.headers['content-length'], String(Buffer.byteLength(r.body)), 'a Content-Length in bytes');
    assert.equal(r.headers['transfer-encoding'], undefined, 'not chunked');
    assert.equal(r.headers['content-type'], 'text/event-stream', 'the headers the handler wrote');
  });

  it('a longer call gets its headers when the hold ends, and what follows streams as it is written', async () => {
    // Margins for a loaded machine: the hold ends at 50 ms, the progress comes at 250, the result at 600.
    const r = await exchange([{ at: 0, write: 'id: 1\ndata: \n\n' }, { at: 250, write: 'data: {"progress":1}\n\n' }, { at: 600, write: 'data: {"result":{}}\n\n', end: true }]);
    assert.ok(r.headersAt >= 40 && r.headersAt < 230, `headers at ${r.headersAt.toFixed(0)} ms: when the 50 ms hold ended, before the progress`);
    assert.equal(r.pieces[0].text, 'id: 1\ndata: \n\n', 'the priming event left with the headers');
    const progress = r.pieces.find((p) => p.text.includes('progress'));
    assert.ok(progress && progress.at < 580, 'the progress event was not held back to the end');
    assert.ok(r.body.endsWith('data: {"result":{}}\n\n'));
    assert.ok(r.socketWrites >= 3);
    assert.equal(r.headers['transfer-encoding'], 'chunked', 'a streamed answer stays chunked');
  });

  it('a call with nothing to say yet still shows the client its stream when the hold ends', async () => {
    const r = await exchange([{ at: 400, write: 'data: {"result":{}}\n\n', end: true }]);
    assert.ok(r.headersAt < 300, `headers at ${r.headersAt.toFixed(0)} ms`);
    assert.equal(r.body, 'data: {"result":{}}\n\n');
  });

  it('calls the callbacks of held writes once the answer is out, and adds no length to a 204', async () => {
    const calls: string[] = [];
    const server = http.createServer((req, res) => {
      coalesceResponse(res, 50);
      res.writeHead(req.url === '/empty' ? 204 : 200, { 'content-type': 'text/event-stream' });
      if (req.url === '/empty') return void res.end();
      res.write('data: 1\n\n', () => calls.push('write'));
      res.end('data: 2\n\n', () => calls.push('end'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const full = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(await full.text(), 'data: 1\n\ndata: 2\n\n');
      assert.equal(full.headers.get('content-length'), '18');
      const empty = await fetch(`http://127.0.0.1:${port}/empty`);
      assert.equal(empty.status, 204);
      assert.equal(empty.headers.get('content-length'), null, 'no length on a 204');
      assert.deepEqual(calls.sort(), ['end', 'write']);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
