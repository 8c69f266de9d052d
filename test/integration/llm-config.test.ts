import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { createBackend, type Backend } from '../../backend/main';
import { loadConfig, validateConfig, ConfigError } from '../../backend/config';
import { DEFAULT_REGISTRY_FILE } from '../../registry/loader';
import type { LocalHandler } from '../../backend/executors/local';
import { callRoute } from '../../contracts/client';
import { ensureTinyGguf } from '../helpers/tiny-gguf';
import { tempDir } from '../helpers/backend';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { llmEndpointReport } from '../../backend/config-report';
import { localOnlyLookupVia } from '../../backend/local-endpoint';

/** The local-model settings: checked one by one, together in /config/validate, and wired into the backend. */
const TOOL = {
  title: 'Ask the model (test)',
  description: 'One model call with a schema.',
  module: 'system',
  risk: 'low',
  idempotent: true,
  timeout_seconds: 120,
  executor: { kind: 'local', handler: 'test.ask' },
  inputSchema: { type: 'object', additionalProperties: false, properties: {} },
  outputSchema: { type: 'object', additionalProperties: false, required: ['answer'], properties: { answer: { enum: ['yes', 'no'] } } },
};
const ask: LocalHandler = async (_input, ctx) => {
  const out = await (await ctx.llm()).generate({ messages: [{ role: 'user', content: 'yes or no?' }], schema: TOOL.outputSchema, maxTokens: 50 });
  return out.json;
};

async function backendWith(env: Record<string, string>): Promise<{ backend: Backend; done(): Promise<void> }> {
  const registry = parse(fs.readFileSync(DEFAULT_REGISTRY_FILE, 'utf8'));
  registry.tools['test.ask'] = TOOL;
  const registryFile = path.join(tempDir('product-os-llmcfg-registry-'), 'tool-registry.yaml');
  fs.writeFileSync(registryFile, stringify(registry));
  const dataDir = tempDir('product-os-llmcfg-');
  const backend = await createBackend({ env: { PRODUCT_OS_TOKEN: 'test-token-0123456789abcdef', PRODUCT_OS_REGISTRY: registryFile, ...env }, overrides: { dataDir, port: 0 }, handlers: new Map([['test.ask', ask]]), stderr: () => undefined });
  await backend.listen();
  return {
    backend,
    done: async () => {
      await backend.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

describe('local model settings', function () {
  this.timeout(180_000);

  it('each setting is checked, and a bad one is named with what is wrong', () => {
    const report = validateConfig({ PRODUCT_OS_LLM_PROVIDER: 'openai', PRODUCT_OS_LLM_THREADS: '0', PRODUCT_OS_MODELS: 'models', PRODUCT_OS_LLM_CONTEXT: '12', PRODUCT_OS_LLM_URL: 'https://api.openai.com/v1' });
    const by = new Map(report.map((r) => [r.name, r]));
    assert.match(by.get('PRODUCT_OS_LLM_PROVIDER')!.message, /must be one of ollama, openai-compatible, llama\.cpp-worker, llama\.cpp/);
    assert.match(by.get('PRODUCT_OS_LLM_THREADS')!.message, /PRODUCT_OS_LLM_THREADS must be an integer from 1/);
    assert.match(by.get('PRODUCT_OS_MODELS')!.message, /absolute path/);
    assert.match(by.get('PRODUCT_OS_LLM_CONTEXT')!.message, /from 256/);
    assert.match(by.get('PRODUCT_OS_LLM_URL')!.message, /^PRODUCT_OS_LLM_URL points at api\.openai\.com, .*LLMs must stay local/);
    assert.throws(() => loadConfig({ PRODUCT_OS_LLM_URL: 'http://8.8.8.8:11434' }), (err: ConfigError) => err instanceof ConfigError && /PRODUCT_OS_LLM_URL/.test(err.message));
    // Unset, each explains its default.
    const unset = new Map(validateConfig({}).map((r) => [r.name, r]));
    assert.match(unset.get('PRODUCT_OS_LLM_THREADS')!.message, /half the CPU cores/);
  });

  it('the provider follows from the other settings when not named', () => {
    const data = { PRODUCT_OS_DATA: '/srv/po' };
    assert.equal(loadConfig({ ...data, PRODUCT_OS_LLM_URL: 'http://127.0.0.1:11434', PRODUCT_OS_LLM_MODEL: 'qwen2.5:7b' }).llm.provider, 'ollama');
    assert.equal(loadConfig({ ...data, PRODUCT_OS_LLM_URL: 'http://127.0.0.1:8080/v1', PRODUCT_OS_LLM_MODEL: 'local' }).llm.provider, 'openai-compatible');
    const gguf = loadConfig({ ...data, PRODUCT_OS_LLM_MODEL: 'qwen2.5-3b.Q4_K_M.gguf' }).llm;
    assert.deepEqual({ provider: gguf.provider, modelsDir: gguf.modelsDir }, { provider: 'llama.cpp-worker', modelsDir: '/srv/po/models' });
    assert.ok(gguf.threads >= 1);
    assert.equal(loadConfig(data).llm.provider, null);
  });

  it('/config/validate says whether the model can run: a missing GGUF is invalid, a present one is in use with its threads', async () => {
    const models = tempDir('product-os-llmcfg-models-');
    const env = { PRODUCT_OS_LLM_PROVIDER: 'llama.cpp', PRODUCT_OS_MODELS: models, PRODUCT_OS_LLM_MODEL: 'tiny-llama-test.gguf', PRODUCT_OS_LLM_THREADS: '1' };
    let t = await backendWith(env);
    try {
      const conn = { url: t.backend.url!, token: t.backend.token };
      const missing = (await callRoute(conn, 'validateConfig', {})).settings.find((s) => s.name === 'PRODUCT_OS_LLM_MODEL');
      assert.equal(missing?.status, 'invalid');
      assert.match(missing!.message, /tiny-llama-test\.gguf is not a file in the models folder/);
    } finally {
      await t.done();
    }
    ensureTinyGguf(models);
    t = await backendWith(env);
    try {
      const conn = { url: t.backend.url!, token: t.backend.token };
      const ok = (await callRoute(conn, 'validateConfig', {})).settings.find((s) => s.name === 'PRODUCT_OS_LLM_MODEL');
      assert.equal(ok?.status, 'ok');
      assert.match(ok!.message, /llama\.cpp in the backend process, 1 thread/);
      // And the configured model is what a tool's ctx.llm() gets: a real call, metered.
      const run = await callRoute(conn, 'createRun', { body: { tool: 'test.ask', input: {} } });
      const done = await callRoute(conn, 'waitRun', { params: { id: run.id }, query: { timeoutMs: 120_000 } });
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.ok(['yes', 'no'].includes((done.output as { answer: string }).answer));
      const usage = await callRoute(conn, 'runUsage', { params: { id: run.id } });
      assert.deepEqual(usage.calls.map((c) => [c.provider, c.model]), [['llama.cpp', 'tiny-llama-test.gguf']]);
    } finally {
      await t.done();
      fs.rmSync(models, { recursive: true, force: true });
    }
  });

  it('/config/validate tries a configured endpoint by name, as a call would: it answers, a redirect is not followed, a closed port does not answer', async () => {
    let hits = 0;
    const target = http.createServer((_req, res) => void (hits++, res.end('{}')));
    const redirecting = http.createServer((_req, res) => res.writeHead(302, { location: `http://127.0.0.1:${(target.address() as AddressInfo).port}/` }).end());
    for (const s of [target, redirecting]) await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const urlSetting = async (url: string) => {
      const t = await backendWith({ PRODUCT_OS_LLM_URL: url, PRODUCT_OS_LLM_MODEL: 'qwen2.5:0.5b' });
      try {
        return (await callRoute({ url: t.backend.url!, token: t.backend.token }, 'validateConfig', {})).settings.find((s) => s.name === 'PRODUCT_OS_LLM_URL')!;
      } finally {
        await t.done();
      }
    };
    try {
      const up = await urlSetting(`http://localhost:${(target.address() as AddressInfo).port}/v1`);
      assert.deepEqual([up.status, hits], ['ok', 1], up.message);
      assert.match(up.message, /answers$/);
      const redirected = await urlSetting(`http://localhost:${(redirecting.address() as AddressInfo).port}/v1`);
      assert.equal(redirected.status, 'ok', redirected.message);
      assert.equal(hits, 1, 'the probe followed the redirect');
      const down = await urlSetting(`http://127.0.0.1:${closedPort}/v1`);
      assert.equal(down.status, 'invalid');
      assert.match(down.message, /^PRODUCT_OS_LLM_URL .* does not answer \(ECONNREFUSED\)/);
    } finally {
      for (const s of [target, redirecting]) await new Promise<void>((r) => s.close(() => r()));
    }
  });

  it('/config/validate refuses a name that resolves off this machine, naming the setting and the address, and sends it nothing', async () => {
    let hits = 0;
    const local = http.createServer((_req, res) => void (hits++, res.end()));
    await new Promise<void>((r) => local.listen(0, '127.0.0.1', r));
    try {
      const setting = { name: 'PRODUCT_OS_LLM_URL', status: 'ok' as const, required: false, message: 'set' };
      const via = (addresses: string[]) => localOnlyLookupVia((_h, _o, cb) => cb(null, addresses.map((address) => ({ address, family: 4 }))));
      const url = `http://llm:${(local.address() as AddressInfo).port}/v1`;
      const refused = await llmEndpointReport(url, setting, via(['127.0.0.1', '198.51.100.4']));
      assert.equal(refused.status, 'invalid');
      assert.match(refused.message, /^PRODUCT_OS_LLM_URL names llm, which resolves to 198\.51\.100\.4: not this host/);
      assert.equal(hits, 0);
      assert.equal((await llmEndpointReport(url, setting, via(['127.0.0.1']))).status, 'ok', 'the same name resolving here only');
      assert.equal(hits, 1);
    } finally {
      await new Promise<void>((r) => local.close(() => r()));
    }
  });

  it('with no model configured, a tool that needs one fails not_configured, naming the settings', async () => {
    const t = await backendWith({});
    try {
      const conn = { url: t.backend.url!, token: t.backend.token };
      const run = await callRoute(conn, 'createRun', { body: { tool: 'test.ask', input: {} } });
      const done = await callRoute(conn, 'waitRun', { params: { id: run.id }, query: { timeoutMs: 20_000 } });
      assert.equal(done.status, 'failed');
      assert.equal(done.error?.code, 'not_configured');
      assert.match(done.error!.message, /PRODUCT_OS_LLM_URL.*PRODUCT_OS_LLM_MODEL/);
    } finally {
      await t.done();
    }
  });
});
