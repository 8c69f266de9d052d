/**
 * What a browser and a liveness probe see: /health without the token (liveness only), and
 * PRODUCT_OS_ALLOWED_ORIGINS usable from a page (preflight answered, CORS headers on answers
 * and refusals), while every other Origin still gets 403.
 */
import assert from 'node:assert/strict';
import { startBackend, type TestBackend } from '../helpers/backend';

describe('browser access and liveness', function () {
  this.timeout(60_000);
  let b: TestBackend;
  const page = 'https://app.example.com';
  before(async () => {
    b = await startBackend({ env: { PRODUCT_OS_ALLOWED_ORIGINS: `${page},http://localhost:5173` } });
  });
  after(async () => b?.close());

  it('GET /health answers without the token with liveness only; a wrong token is still refused', async () => {
    const res = await fetch(`${b.url}/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys((await res.json()) as object).sort(), ['status', 'version']);
    const full = await b.api('GET', '/health');
    assert.equal(full.body.instanceId, b.backend.context.instanceId, 'with the token: the basic facts');
    assert.equal((await fetch(`${b.url}/health`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status, 401);
    assert.equal((await fetch(`${b.url}/api/runs`)).status, 401, 'every other route still needs the token');
    const doc = await b.api<{ paths: Record<string, { get: { security?: unknown[] } }> }>('GET', '/api/openapi.json');
    assert.deepEqual(doc.body.paths['/health'].get.security, [], 'the API document says /health needs no token');
  });

  it('a preflight from an allowed Origin gets 204 with the CORS headers, not 401', async () => {
    const res = await fetch(`${b.url}/api/runs`, {
      method: 'OPTIONS',
      headers: { origin: page, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), page);
    assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /authorization/);
  });

  it('answers and refusals to an allowed Origin carry Access-Control-Allow-Origin', async () => {
    const ok = await b.api('POST', '/api/runs', { tool: 'system.ping', input: {} }, { origin: page });
    assert.equal(ok.status, 201);
    assert.equal(ok.headers.get('access-control-allow-origin'), page);
    const refused = await fetch(`${b.url}/api/runs`, { headers: { origin: page } });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('access-control-allow-origin'), page, 'the page can read why it was refused');
  });

  it('any other Origin: its preflight and its requests get 403, with no CORS headers', async () => {
    const pre = await fetch(`${b.url}/api/runs`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(pre.status, 403);
    assert.equal(pre.headers.get('access-control-allow-origin'), null);
    const req = await b.api('GET', '/api/runs', undefined, { origin: 'https://evil.example' });
    assert.equal(req.status, 403);
    assert.equal(req.headers.get('access-control-allow-origin'), null);
    assert.equal((await fetch(`${b.url}/health`, { headers: { origin: 'https://evil.example' } })).status, 403, 'liveness too');
  });
});
