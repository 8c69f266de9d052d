/**
 * The service map's container allowlist can be set without writing to the database:
 * PRODUCT_OS_SERVICE_MAP_CONTAINERS (the editor's productOs.serviceMap.containers) is made the
 * setting's part of the allowlist at each start; entries the store holds otherwise stay.
 */
import assert from 'node:assert/strict';
import { allowContainer, containerAllowlist } from '../../backend/executors/docker-allowlist';
import { validateConfig } from '../../backend/config';
import { startBackend, tempDir } from '../helpers/backend';

describe('service map containers from a setting', function () {
  this.timeout(60_000);

  it('each start makes the allowlist follow PRODUCT_OS_SERVICE_MAP_CONTAINERS, keeping the store\'s own entries', async () => {
    const dataDir = tempDir();
    const names = async (env: Record<string, string>, also?: (b: Awaited<ReturnType<typeof startBackend>>) => Promise<void>) => {
      const b = await startBackend({ dataDir, env });
      try {
        await also?.(b);
        return (await containerAllowlist(b.backend.db)).map((e) => e.name ?? e.containerId).sort();
      } finally {
        await b.close();
      }
    };
    assert.deepEqual(await names({ PRODUCT_OS_SERVICE_MAP_CONTAINERS: 'web, db,/cache' }), ['cache', 'db', 'web']);
    assert.deepEqual(await names({ PRODUCT_OS_SERVICE_MAP_CONTAINERS: 'web,4f2a9c1b7d3e' }, (b) => allowContainer(b.backend.db, { name: 'by-hand' })), ['4f2a9c1b7d3e', 'by-hand', 'web']);
    assert.deepEqual(await names({}), ['by-hand'], 'an unset setting leaves only what the store holds');
  });

  it('a malformed list is refused at start-up, naming the setting', () => {
    const report = validateConfig({ PRODUCT_OS_SERVICE_MAP_CONTAINERS: 'web,not a name' }).find((s) => s.name === 'PRODUCT_OS_SERVICE_MAP_CONTAINERS');
    assert.equal(report?.status, 'invalid');
    assert.match(report?.message ?? '', /comma-separated list of container names or ids/);
  });
});
