import assert from 'node:assert/strict';
import * as path from 'node:path';
import { createBackend, type Backend } from '../../backend/main';
import { DockerExecutor } from '../../backend/executors/docker-executor';
import { request, tempDir } from '../helpers/backend';
import { dockerRegistryFile } from '../helpers/docker-tools';

/**
 * A backend on a host where no Docker engine answers (DOCKER_HOST names a socket nobody
 * listens on): it starts anyway, local tools run, and every docker tool is refused before a
 * run is stored, with not_configured naming the engine it tried. Needs no Docker at all.
 */
describe('docker tools with no Docker engine answering (not_configured)', function () {
  this.timeout(60_000);
  let backend: Backend;
  let url: string;
  let socket: string;
  const api = <T = any>(method: string, p: string, body?: unknown) => request<T>(url, backend.token, method, p, body);

  before(async () => {
    socket = path.join(tempDir('product-os-no-docker-'), 'docker.sock');
    // Dockerode reads DOCKER_HOST when it is made, and the executor names it in its message
    // when the engine does not answer at start: set for those two steps, then put back.
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${socket}`;
    try {
      const docker = new DockerExecutor({ gpuProbe: async () => [] });
      const env = { PRODUCT_OS_TOKEN: 'test-token-0123456789abcdef', PRODUCT_OS_REGISTRY: dockerRegistryFile() };
      backend = await createBackend({ env, overrides: { dataDir: tempDir(), port: 0 }, executors: { docker }, stderr: () => undefined });
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
    url = await backend.listen();
  });
  after(async () => {
    await backend?.close();
  });

  it('starts, runs local tools, and refuses a docker tool with 503 not_configured naming the engine; no run is stored', async () => {
    const ping = await api('POST', '/api/runs', { tool: 'system.ping', input: { message: 'still here' } });
    assert.equal(ping.status, 201, JSON.stringify(ping.body));

    const before = (await api<{ runs: unknown[] }>('GET', '/api/runs?tool=test.docker_echo')).body.runs.length;
    const res = await api<{ error: { code: string; message: string } }>('POST', '/api/runs', { tool: 'test.docker_echo', input: { message: 'x' } });
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'not_configured');
    assert.match(res.body.error.message, new RegExp(`the Docker engine at unix://${socket.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} does not answer`));
    assert.match(res.body.error.message, /run scripts\/ensure-docker\.sh or set DOCKER_HOST/);
    assert.equal((await api<{ runs: unknown[] }>('GET', '/api/runs?tool=test.docker_echo')).body.runs.length, before, 'no run was stored');
    const audit = await backend.db.query<{ outcome: string }>(`SELECT outcome FROM audit_log WHERE tool = 'test.docker_echo' ORDER BY id DESC LIMIT 1`);
    assert.deepEqual(audit, [{ outcome: 'refused:not_configured' }]);
  });

  it('lists docker tools as unavailable, with the same reason', async () => {
    const tools = (await api<{ tools: Array<{ name: string; available: boolean; unavailableReason?: string }> }>('GET', '/api/tools')).body.tools;
    const echo = tools.find((t) => t.name === 'test.docker_echo');
    assert.ok(echo, 'the docker test tool is listed');
    assert.equal(echo.available, false);
    assert.match(echo.unavailableReason ?? '', /does not answer/);
    assert.equal(tools.find((t) => t.name === 'system.ping')?.available, true);
  });
});
