import assert from 'node:assert/strict';
import { matchImage, parseImageRef, isContainerAllowed, type ImageAllowlistEntry } from '../../backend/executors/docker-allowlist';
import { assertHardened, hardenedCreateOptions, type WorkerSpec } from '../../backend/executors/docker-hardening';
import { parseLine } from '../../backend/executors/docker-worker';

/** The Docker executor's pure parts: no engine needed (the engine tests are in docker.test.ts). */
describe('docker workers: allowlists, hardening and the line protocol', () => {
  describe('image allowlist', () => {
    const entries: ImageAllowlistEntry[] = [
      { image: 'product-os/worker', tag: '0.1.0' },
      { image: 'localhost:5000/llm', tag: 'q4', digest: `sha256:${'a'.repeat(64)}`, requiresGpu: true, minVramMb: 8000 },
    ];

    it('parses names with registry ports, tags and digests', () => {
      assert.deepEqual(parseImageRef('product-os/worker'), { name: 'product-os/worker' });
      assert.deepEqual(parseImageRef('product-os/worker:0.1.0'), { name: 'product-os/worker', tag: '0.1.0' });
      assert.deepEqual(parseImageRef('localhost:5000/llm'), { name: 'localhost:5000/llm' });
      assert.deepEqual(parseImageRef('localhost:5000/llm:q4'), { name: 'localhost:5000/llm', tag: 'q4' });
      assert.deepEqual(parseImageRef(`x@sha256:${'b'.repeat(64)}`), { name: 'x', digest: `sha256:${'b'.repeat(64)}` });
    });

    it('a bare name takes its entry; a tag or digest must match exactly; a pinned digest wins over the tag', () => {
      assert.equal(matchImage('product-os/worker', entries)?.ref, 'product-os/worker:0.1.0');
      assert.equal(matchImage('product-os/worker:0.1.0', entries)?.ref, 'product-os/worker:0.1.0');
      assert.equal(matchImage('product-os/worker:latest', entries), null);
      assert.equal(matchImage('product-os/worker-evil', entries), null);
      assert.equal(matchImage('evil/product-os/worker:0.1.0', entries), null);
      assert.equal(matchImage('localhost:5000/llm:q4', entries)?.ref, `localhost:5000/llm@sha256:${'a'.repeat(64)}`);
      assert.equal(matchImage(`localhost:5000/llm@sha256:${'c'.repeat(64)}`, entries), null);
      assert.equal(matchImage('localhost:5000/llm', entries)?.entry.requiresGpu, true);
    });
  });

  it('container allowlist: by full id, an id prefix of 12 or more, or name', () => {
    const id = 'f'.repeat(64);
    const c = { id, names: ['/web'] };
    assert.equal(isContainerAllowed([{ containerId: id, name: null }], c), true);
    assert.equal(isContainerAllowed([{ containerId: id.slice(0, 12), name: null }], c), true);
    assert.equal(isContainerAllowed([{ containerId: id.slice(0, 6), name: null }], c), false);
    assert.equal(isContainerAllowed([{ containerId: null, name: 'web' }], c), true);
    assert.equal(isContainerAllowed([{ containerId: null, name: 'db' }], c), false);
  });

  describe('hardening', () => {
    const spec: WorkerSpec = { image: 'product-os/worker:0.1.0', labels: {}, resources: { memory_mb: 256, cpus: 0.5, pids: 32 }, network: 'none', mounts: [], tmpfsMb: 16 };

    it('every definition drops all capabilities, is read-only, non-root, limited and offline', () => {
      const o = hardenedCreateOptions(spec);
      assert.equal(o.User, '10001:10001');
      assert.deepEqual(o.HostConfig?.CapDrop, ['ALL']);
      assert.deepEqual(o.HostConfig?.SecurityOpt, ['no-new-privileges']);
      assert.equal(o.HostConfig?.ReadonlyRootfs, true);
      assert.equal(o.HostConfig?.Init, true);
      assert.equal(o.HostConfig?.Memory, 256 * 1024 * 1024);
      assert.equal(o.HostConfig?.MemorySwap, 256 * 1024 * 1024);
      assert.equal(o.HostConfig?.NanoCpus, 5e8);
      assert.equal(o.HostConfig?.PidsLimit, 32);
      assert.equal(o.HostConfig?.NetworkMode, 'none');
      assert.equal(o.Labels?.['product-os.worker'], 'true');
    });

    it('refuses any loosened definition', () => {
      const loosen: Array<[string, (o: any) => void]> = [
        ['privileged', (o) => (o.HostConfig.Privileged = true)],
        ['capabilities', (o) => (o.HostConfig.CapAdd = ['SYS_ADMIN'])],
        ['root', (o) => (o.User = '0:0')],
        ['writable root', (o) => (o.HostConfig.ReadonlyRootfs = false)],
        ['host network', (o) => (o.HostConfig.NetworkMode = 'host')],
        ['bridge network', (o) => (o.HostConfig.NetworkMode = 'bridge')],
        ['socket', (o) => (o.HostConfig.Mounts = [{ Type: 'bind', Source: '/var/run/docker.sock', Target: '/s', ReadOnly: true }])],
        ['binds', (o) => (o.HostConfig.Binds = ['/:/host'])],
        ['swap', (o) => (o.HostConfig.MemorySwap = -1)],
        ['new privileges', (o) => (o.HostConfig.SecurityOpt = [])],
        ['host pid', (o) => (o.HostConfig.PidMode = 'host')],
      ];
      for (const [what, fn] of loosen) {
        const o = hardenedCreateOptions(spec);
        fn(o);
        assert.throws(() => assertHardened(o), /refusing an unsafe worker definition/, what);
      }
    });
  });

  it('parses worker lines; anything else is plain text', () => {
    assert.deepEqual(parseLine('{"type":"log","level":"warn","message":"m","fields":{"a":1}}'), { type: 'log', level: 'warn', message: 'm', fields: { a: 1 } });
    assert.deepEqual(parseLine('{"type":"log","level":"shout","message":"m"}'), { type: 'log', level: 'info', message: 'm' });
    assert.deepEqual(parseLine('{"type":"progress","progress":2,"total":4}'), { type: 'progress', progress: 2, total: 4 });
    assert.deepEqual(parseLine('{"type":"result","output":{"x":[1]}}'), { type: 'result', output: { x: [1] } });
    assert.deepEqual(parseLine('{"type":"error","code":"invalid_input","message":"bad"}'), { type: 'error', code: 'invalid_input', message: 'bad' });
    assert.equal(parseLine('plain text'), null);
    assert.equal(parseLine('{"type":"log"}'), null);
    assert.equal(parseLine('{not json'), null);
  });
});
