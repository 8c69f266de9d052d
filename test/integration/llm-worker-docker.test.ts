import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Dockerode from 'dockerode';
import { ensureTinyGguf } from '../helpers/tiny-gguf';
import { ensureLlmWorkerImage } from '../helpers/llm-worker-image';
import { tempDir } from '../helpers/backend';
import { LlamaCppWorkerProvider, LLM_IMAGE_REF } from '../../backend/llm/llm-worker';
import { LLM_NETWORK } from '../../backend/executors/docker-network';
import { ProductOsError } from '../../backend/errors';
import { compileSchema } from '../../contracts/validator';

/** llama.cpp in the LLM worker container, on the generated tiny GGUF, against real Docker. */
describe('LLM worker container (real Docker)', function () {
  this.timeout(240_000);
  const docker = new Dockerode();
  let modelsDir: string;
  let provider: LlamaCppWorkerProvider;

  before(async () => {
    ensureLlmWorkerImage();
    modelsDir = tempDir('product-os-models-');
    ensureTinyGguf(modelsDir);
    fs.chmodSync(modelsDir, 0o755);
    provider = new LlamaCppWorkerProvider({ modelsDir, modelFile: 'tiny-llama-test.gguf', threads: 1, contextSize: 1024, labels: async () => ({ 'product-os.session': 'llm-worker-test' }) });
  });
  after(async () => {
    await provider?.close();
    fs.rmSync(modelsDir, { recursive: true, force: true });
  });

  it('starts on first use, generates, and reports token counts', async () => {
    const out = await provider.generate({ messages: [{ role: 'user', content: 'hello from the test' }], maxTokens: 20, temperature: 0 });
    assert.equal(out.usage.provider, 'llama.cpp-worker');
    assert.equal(out.usage.model, 'tiny-llama-test.gguf');
    assert.equal(out.usage.completionTokens, 20);
    assert.ok(out.usage.promptTokens > 10);
  });

  it('constrains output to a schema (response_format → grammar inside the worker) and it validates', async () => {
    const schema = { type: 'object', additionalProperties: false, required: ['summary', 'severity', 'tags'], properties: { summary: { type: 'string', maxLength: 40 }, severity: { enum: ['info', 'warn', 'error'] }, tags: { type: 'array', maxItems: 3, items: { type: 'string', maxLength: 8 } } } };
    for (let seed = 1; seed <= 3; seed++) {
      const out = await provider.generate({ messages: [{ role: 'user', content: `triage ${seed}` }], schema, maxTokens: 300, seed, temperature: 0.7 });
      assert.deepEqual(compileSchema(schema)(out.json), []);
    }
  });

  it('runs hardened: allowlisted image, non-root, read-only root, no capabilities, limits, the internal network only, the models folder read-only, labelled', async () => {
    const [c] = await docker.listContainers({ filters: { label: ['product-os.session=llm-worker-test'] } });
    assert.ok(c, 'the worker container is running');
    const info = await docker.getContainer(c.Id).inspect();
    assert.equal(info.Config.Image, LLM_IMAGE_REF);
    assert.equal(info.Config.User, '10001:10001');
    assert.equal(info.HostConfig.ReadonlyRootfs, true);
    assert.deepEqual(info.HostConfig.CapDrop, ['ALL']);
    assert.ok(info.HostConfig.SecurityOpt?.includes('no-new-privileges'));
    assert.equal(info.HostConfig.Privileged, false);
    assert.ok((info.HostConfig.Memory ?? 0) > 0 && info.HostConfig.NanoCpus === 1e9 && (info.HostConfig.PidsLimit ?? 0) > 0);
    assert.deepEqual(Object.keys(info.NetworkSettings.Networks), [LLM_NETWORK]);
    const net = (await docker.getNetwork(LLM_NETWORK).inspect()) as { Internal: boolean };
    assert.equal(net.Internal, true, 'no route off the host');
    assert.deepEqual(
      info.Mounts.map((m) => ({ source: m.Source, target: m.Destination, rw: m.RW })),
      [{ source: modelsDir, target: '/models', rw: false }],
    );
    assert.equal(info.Config.Labels['product-os.worker'], 'true');
    assert.ok(info.Config.Cmd?.includes('--threads') && info.Config.Cmd[info.Config.Cmd.indexOf('--threads') + 1] === '1', 'threads set explicitly');
  });

  it('close removes the container', async () => {
    await provider.close();
    const left = await docker.listContainers({ all: true, filters: { label: ['product-os.session=llm-worker-test'] } });
    assert.equal(left.length, 0);
  });

  it('a file that is not a GGUF model fails as not_configured, and no container is left', async () => {
    const dir = tempDir('product-os-models-');
    fs.writeFileSync(path.join(dir, 'broken.gguf'), 'not a model');
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(path.join(dir, 'broken.gguf'), 0o644);
    const bad = new LlamaCppWorkerProvider({ modelsDir: dir, modelFile: 'broken.gguf', threads: 1, labels: async () => ({ 'product-os.session': 'llm-worker-test-bad' }), startTimeoutMs: 60_000 });
    try {
      await assert.rejects(bad.generate({ messages: [{ role: 'user', content: 'x' }] }), (err: ProductOsError) => err.code === 'not_configured' && /broken\.gguf/.test(err.message));
      const left = await docker.listContainers({ all: true, filters: { label: ['product-os.session=llm-worker-test-bad'] } });
      assert.equal(left.length, 0);
    } finally {
      await bad.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a model outside the models folder is refused before Docker is asked', async () => {
    const p = new LlamaCppWorkerProvider({ modelsDir, modelFile: '../elsewhere.gguf', threads: 1 });
    await assert.rejects(p.generate({ messages: [{ role: 'user', content: 'x' }] }), /inside the models folder/);
  });
});
