import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { createBackend, type Backend } from '../../backend/main';
import { DEFAULT_REGISTRY_FILE } from '../../registry/loader';
import type { LocalHandler } from '../../backend/executors/local';
import type { JsonSchema } from '../../contracts/json-schema';
import { callRoute } from '../../contracts/client';
import { ensureTinyGguf } from '../helpers/tiny-gguf';
import { ensureLlmWorkerImage } from '../helpers/llm-worker-image';
import { canaryMarker, findCanaries } from '../helpers/canary';
import { freshDatabase } from '../helpers/postgres';
import { tempDir } from '../helpers/backend';

/**
 * Token counts only, proved end to end: a tool whose prompt template and whose input file
 * carry unique markers runs on the real model path (the llama.cpp worker container on the
 * tiny GGUF), with verbose logs (redaction off, the worst case). Afterwards no marker may be in
 * a pg_dump of the store, in every table's rows, in the backend's log lines or anywhere in the
 * data folder; the usage rows and routes have the token counts.
 */
const TEMPLATE_MARKER = canaryMarker('template');
const FILE_MARKER = canaryMarker('file');
const OUTPUT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['summary', 'mood'],
  properties: { summary: { type: 'string', maxLength: 60 }, mood: { enum: ['calm', 'urgent'] } },
};

const TOOL = {
  title: 'Digest a file (test)',
  description: 'Reads a file and asks the local model for a one-line digest.',
  module: 'system',
  risk: 'low',
  idempotent: true,
  timeout_seconds: 120,
  executor: { kind: 'local', handler: 'test.llm_digest' },
  inputSchema: { type: 'object', additionalProperties: false, required: ['path'], properties: { path: { type: 'string' }, max_tokens: { type: 'integer', minimum: 1, maximum: 400 } } },
  outputSchema: OUTPUT_SCHEMA,
};

const digest: LocalHandler = async (input: { path: string; max_tokens?: number }, ctx) => {
  const text = fs.readFileSync(input.path, 'utf8');
  const llm = await ctx.llm();
  await ctx.log('info', `asking ${llm.provider} for a digest of ${text.length} characters`);
  const out = await llm.generate({
    messages: [
      { role: 'system', content: `You write a one-line digest of a file and judge its mood. Reference ${TEMPLATE_MARKER}.` },
      { role: 'user', content: text },
    ],
    schema: ctx.tool.spec.outputSchema as JsonSchema,
    maxTokens: input.max_tokens ?? 300,
    seed: 11,
  });
  await ctx.log('info', `digest done: ${out.usage.promptTokens} prompt and ${out.usage.completionTokens} completion tokens`);
  return out.json;
};

describe('canary: nothing a model reads or writes is kept (real Docker, real PostgreSQL)', function () {
  this.timeout(300_000);
  let backend: Backend;
  let db: { url: string; drop(): Promise<void> };
  let dataDir: string;
  let workspace: string;
  let modelsDir: string;
  const logs: string[] = [];
  const runIds: string[] = [];

  before(async () => {
    ensureLlmWorkerImage();
    db = await freshDatabase();
    dataDir = tempDir('product-os-canary-data-');
    workspace = tempDir('product-os-canary-ws-');
    modelsDir = tempDir('product-os-canary-models-');
    ensureTinyGguf(modelsDir);
    fs.chmodSync(modelsDir, 0o755);
    fs.writeFileSync(path.join(workspace, 'notes.md'), `# Release notes\nThe launch moved to Friday. ${FILE_MARKER}\nCustomers asked about pricing.\n`);
    const registry = parse(fs.readFileSync(DEFAULT_REGISTRY_FILE, 'utf8'));
    registry.tools['test.llm_digest'] = TOOL;
    const registryFile = path.join(tempDir('product-os-canary-registry-'), 'tool-registry.yaml');
    fs.writeFileSync(registryFile, stringify(registry));
    backend = await createBackend({
      env: {
        PRODUCT_OS_TOKEN: 'test-token-0123456789abcdef',
        PRODUCT_OS_REGISTRY: registryFile,
        DATABASE_URL: db.url,
        DEBUG_REDACTED_MODE: 'false',
        PRODUCT_OS_LLM_PROVIDER: 'llama.cpp-worker',
        PRODUCT_OS_MODELS: modelsDir,
        PRODUCT_OS_LLM_MODEL: 'tiny-llama-test.gguf',
        PRODUCT_OS_LLM_THREADS: '1',
        PRODUCT_OS_LLM_CONTEXT: '1024',
      },
      overrides: { dataDir, port: 0 },
      handlers: new Map([['test.llm_digest', digest]]),
      stderr: (l) => logs.push(l),
    });
    await backend.listen();
  });

  after(async () => {
    await backend?.close();
    await db?.drop();
    for (const d of [dataDir, workspace, modelsDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  const call = async (input: Record<string, unknown>) => {
    const conn = { url: backend.url!, token: backend.token };
    const run = await callRoute(conn, 'createRun', { body: { tool: 'test.llm_digest', input } });
    runIds.push(run.id);
    return callRoute(conn, 'waitRun', { params: { id: run.id }, query: { timeoutMs: 120_000 } });
  };

  it('runs the tool on the model: its validated result is the run output', async () => {
    for (const _ of [1, 2]) {
      const run = await call({ path: path.join(workspace, 'notes.md') });
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.deepEqual(Object.keys(run.output as object).sort(), ['mood', 'summary']);
    }
  });

  it('a model answer that breaks the schema fails the run without quoting it', async () => {
    const run = await call({ path: path.join(workspace, 'notes.md'), max_tokens: 3 });
    assert.equal(run.status, 'failed');
    assert.equal(run.error?.code, 'invalid_output');
    assert.match(run.error?.message ?? '', /token limit/);
  });

  it('each model call left a usage row (provider, model, token counts, duration), served per run and per day', async () => {
    const conn = { url: backend.url!, token: backend.token };
    let prompt = 0;
    let completion = 0;
    for (const id of runIds) {
      const usage = await callRoute(conn, 'runUsage', { params: { id } });
      assert.equal(usage.calls.length, 1, `run ${id}`);
      const [c] = usage.calls;
      assert.equal(c.provider, 'llama.cpp-worker');
      assert.equal(c.model, 'tiny-llama-test.gguf');
      assert.ok(c.promptTokens > 20 && c.completionTokens > 0 && c.durationMs > 0, JSON.stringify(c));
      assert.deepEqual(usage.totals, { calls: 1, promptTokens: c.promptTokens, completionTokens: c.completionTokens, durationMs: c.durationMs });
      prompt += c.promptTokens;
      completion += c.completionTokens;
    }
    const daily = await callRoute(conn, 'dailyUsage', { query: { days: 7 } });
    assert.equal(daily.days.length, 1);
    assert.deepEqual({ ...daily.days[0], durationMs: 0 }, { day: new Date().toISOString().slice(0, 10), runs: runIds.length, calls: runIds.length, promptTokens: prompt, completionTokens: completion, durationMs: 0 });
  });

  it('no marker is in a pg_dump of the store, any table row, the logs or the data folder', async () => {
    await backend.close();
    const dump = execFileSync('pg_dump', ['--no-owner', db.url], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    assert.match(dump, /COPY .*llm_usage/, 'the dump holds the usage table');
    const pg = await import('pg');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const found = await findCanaries([TEMPLATE_MARKER, FILE_MARKER], {
        db: { query: async (sql: string, params?: unknown[]) => (await client.query(sql, params)).rows } as never,
        logs: [...logs, dump],
        folders: [dataDir],
      });
      assert.deepEqual(found, []);
      // The scan itself finds a marker where one is (so an empty answer means something).
      const fakeDb = { query: async (sql: string) => (sql.includes('information_schema') ? [{ table_name: 't' }] : [{ row: `{"x":"${TEMPLATE_MARKER}"}` }]) };
      assert.deepEqual(await findCanaries([TEMPLATE_MARKER, FILE_MARKER], { db: fakeDb as never, logs: [`x ${FILE_MARKER} y`] }), [`${TEMPLATE_MARKER} in table t`, `${FILE_MARKER} in log line 1`]);
    } finally {
      await client.end();
    }
    assert.ok(logs.some((l) => l.includes('digest done')), 'the backend did log the runs (verbose mode): the scan read real lines');
    // The input the user gave (a path) is their data and is stored like any tool input.
    assert.ok(dump.includes('notes.md'));
  });
});
