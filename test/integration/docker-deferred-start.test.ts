import assert from 'node:assert/strict';
import type Dockerode from 'dockerode';
import { createBackend, type Backend } from '../../backend/main';
import { DockerExecutor } from '../../backend/executors/docker-executor';
import { tempDir, until } from '../helpers/backend';

/**
 * Docker is only pinged on the way to ready: a start after a clean stop leaves the engine alone
 * until a docker tool needs it; a start after a crash sweeps in the background, and on an
 * embedded store the dead session is then marked stopped so the next start is quiet again.
 * The engine here is a recording stand-in: what is asserted is who asked it what, and when.
 */
describe('Docker at start-up: asked only when there is work for it', function () {
  this.timeout(60_000);

  /** A Docker client that answers ping and an empty container list, and records each call. */
  function recordingDocker(): { docker: Dockerode; calls: string[] } {
    const calls: string[] = [];
    const docker = {
      ping: async () => (calls.push('ping'), 'OK'),
      listContainers: async () => (calls.push('listContainers'), []),
    } as unknown as Dockerode;
    return { docker, calls };
  }

  async function start(dataDir: string, docker: Dockerode): Promise<Backend> {
    return createBackend({
      env: { PRODUCT_OS_TOKEN: 'test-token-0123456789abcdef' },
      overrides: { dataDir, port: 0 },
      executors: { docker: new DockerExecutor({ docker }) },
      stderr: () => undefined,
    });
  }

  it('after a clean stop Docker is only pinged; after a crash the sweep runs once, in the background', async () => {
    const dataDir = tempDir('product-os-docker-deferred-');
    const first = recordingDocker();
    const a = await start(dataDir, first.docker);
    await a.listen();
    assert.equal((await a.engine.waitForTerminal((await a.engine.submit({ tool: 'system.ping', input: {}, caller: 'test' })).run.id)).status, 'succeeded');
    assert.deepEqual(first.calls, ['ping'], 'a fresh store and no docker tool: Docker is only asked whether it answers');
    await a.close();

    const second = recordingDocker();
    const b = await start(dataDir, second.docker);
    assert.deepEqual(second.calls, ['ping'], 'after a clean stop: nothing to sweep');
    // What a kill -9 leaves: an instance row never marked stopped.
    await b.db.query(`INSERT INTO backend_instances (id, pid, host) VALUES ('crashed-session', 1, 'elsewhere')`);
    await b.close();

    const third = recordingDocker();
    const c = await start(dataDir, third.docker);
    try {
      await until(async () => third.calls.includes('listContainers'), 'the background sweep', 10_000);
      assert.deepEqual(third.calls, ['ping', 'ping', 'listContainers'], 'the probe, then the start: its own ping and the sweep');
      await until(async () => (await c.db.query<{ stopped: boolean }>(`SELECT stopped_at IS NOT NULL AS stopped FROM backend_instances WHERE id = 'crashed-session'`))[0].stopped, 'the dead session marked stopped', 10_000);
    } finally {
      await c.close();
    }

    const fourth = recordingDocker();
    const d = await start(dataDir, fourth.docker);
    await d.close();
    assert.deepEqual(fourth.calls, ['ping'], 'the crash was cleaned up: the next start is quiet again');
  });
});
