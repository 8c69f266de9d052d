import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { createBackend, type Backend } from '../../backend/main';
import { DockerExecutor } from '../../backend/executors/docker-executor';
import { summaryMessages } from '../../backend/tools/triage-model-summary';
import type { TriageResult } from '../../workers/tasks/log-triage';
import { tempDir } from '../helpers/backend';
import { ensureDockerAndWorkerImage } from '../helpers/docker';
import { freshDatabase } from '../helpers/postgres';
import { ScriptedLlm } from '../helpers/scripted-llm';
import { canaryMarker, findCanaries } from '../helpers/canary';

/**
 * Token counts only, for log triage's model summary (a real worker container, real
 * PostgreSQL): the prompt the backend assembles (its instructions and the digest of the
 * triage) and a raw model answer that is rejected must be nowhere afterwards — not in a
 * pg_dump, any table row, the backend's log lines (verbose mode) or the data folder. The
 * accepted summary is the tool's result, the user's artifact, and is stored.
 */
describe('canary: log triage summaries keep only token counts (real Docker, real PostgreSQL)', function () {
  this.timeout(300_000);
  const REJECTED = canaryMarker('rejectedanswer');
  const logsLines: string[] = [];
  let backend: Backend;
  let executor: DockerExecutor;
  let db: { url: string; drop(): Promise<void> };
  let dataDir: string;
  let logsDir: string;
  let prompts: string[] = [];
  // First run: an answer that is not JSON (rejected). Second: a valid summary (kept as output).
  const llm = new ScriptedLlm([`${REJECTED} this is not the JSON you asked for`, { json: { summary: 'Fifty requests served; one bounced mail.' } }]);

  before(async function () {
    this.timeout(20 * 60_000);
    ensureDockerAndWorkerImage();
    logsDir = tempDir('product-os-triage-canary-logs-');
    fs.chmodSync(logsDir, 0o755);
    const start = Date.parse('2026-11-30T09:00:00Z');
    const lines = Array.from({ length: 50 }, (_, i) => `${new Date(start + i * 1000).toISOString()} INFO [api] request ${1000 + i} served in ${i * 3} ms`);
    lines.push(`${new Date(start + 60_000).toISOString()} ERROR [mail] bounced for a customer`);
    fs.writeFileSync(path.join(logsDir, 'app.log'), `${lines.join('\n')}\n`, { mode: 0o644 });
    db = await freshDatabase();
    dataDir = tempDir('product-os-triage-canary-data-');
    executor = new DockerExecutor({ gpuProbe: async () => [] });
    backend = await createBackend({
      env: { PRODUCT_OS_TOKEN: 'test-token-0123456789abcdef', PRODUCT_OS_LOGS: logsDir, DATABASE_URL: db.url, DEBUG_REDACTED_MODE: 'false' },
      overrides: { dataDir, port: 0 },
      executors: { docker: executor },
      llm,
      stderr: (l) => logsLines.push(l),
    });
    await executor.start({ db: backend.db, instanceId: backend.context.instanceId, config: backend.config, logger: backend.context.logger });
    await backend.listen();
  });

  after(async () => {
    await backend?.close();
    await db?.drop();
    for (const d of [dataDir, logsDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  it('a rejected answer costs the summary only; a valid one is the output; both calls are usage rows', async () => {
    const outputs = [];
    for (const _ of [1, 2]) {
      const submitted = (await backend.engine.submit({ tool: 'ops.log_triage', input: { redact: false }, caller: 'test' })).run;
      const run = await backend.engine.waitForTerminal(submitted.id);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      outputs.push(run.output as TriageResult & { summary?: string });
      const usage = await backend.db.query<{ n: number }>('SELECT count(*)::int AS n FROM llm_usage WHERE run_id = $1', [run.id]);
      assert.equal(usage[0].n, 1, 'the call was metered');
    }
    assert.equal(outputs[0].summary, undefined);
    assert.equal(outputs[1].summary, 'Fifty requests served; one bounced mail.');
    prompts = llm.requests.flatMap((r) => r.messages.map((m) => m.content));
    assert.equal(prompts.length, 4);
  });

  it('no part of the assembled prompts and no rejected answer is in a pg_dump, any table row, the logs or the data folder', async () => {
    await backend.close();
    // Markers: the rejected answer's, the instructions' own sentence, and lines of each digest
    // that say something about this triage (not bare words a template could also hold).
    const instructions = summaryMessages({ lines: 1, files_scanned: 1, templates: [], time_range: {}, window: {}, since_run_id: null } as unknown as TriageResult)[0].content;
    const markers = [REJECTED, instructions.slice(0, 60), ...prompts.filter((p) => p !== instructions).flatMap((p) => p.split('\n').filter((l) => l.length > 40))];
    assert.ok(markers.length >= 4, `markers: ${markers.length}`);
    const dump = execFileSync('pg_dump', ['--no-owner', db.url], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const found = await findCanaries(markers, { db: { query: async (sql: string, params?: unknown[]) => (await client.query(sql, params)).rows } as never, logs: [...logsLines, dump], folders: [dataDir] });
      assert.deepEqual(found, []);
    } finally {
      await client.end();
    }
    assert.ok(logsLines.some((l) => /no summary, the model did not answer with one|the local model failed/.test(l)), 'the rejected answer was reported (by its kind, not its text)');
    assert.ok(dump.includes('Fifty requests served; one bounced mail.'), 'the accepted summary, the user\'s artifact, is stored');
  });
});
