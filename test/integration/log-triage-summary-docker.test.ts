import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../helpers/backend';
import { ensureDockerAndWorkerImage, startDockerBackend, type DockerTestBackend } from '../helpers/docker';
import { freshDatabase } from '../helpers/postgres';
import { ScriptedLlm } from '../helpers/scripted-llm';
import type { Run } from '../../contracts/rest';

/**
 * ops.log_triage with a local model configured: the worker container triages as always, then
 * the backend asks the model for a summary of what changed — metered against the run, given
 * no log line and no planted secret — and the output carries it. Without Docker the `before`
 * hook fails and says why.
 */

const SECRET = 'canary-3f9a2c@example.com';

describe('ops.log_triage: the model summary, through a real worker', function () {
  this.timeout(180_000);
  let t: DockerTestBackend;
  let logs: string;
  let db: { url: string; drop(): Promise<void> };
  const llm = new ScriptedLlm([(req) => ({ json: { summary: `Saw ${/(\d+) lines/.exec(req.messages[1].content)?.[1]} lines; one error stands out.` } })]);

  before(async function () {
    this.timeout(20 * 60_000);
    ensureDockerAndWorkerImage();
    logs = tempDir('product-os-logs-');
    fs.chmodSync(logs, 0o755);
    const start = Date.parse('2026-11-30T09:00:00Z');
    const lines = Array.from({ length: 50 }, (_, i) => `${new Date(start + i * 1000).toISOString()} INFO [api] request ${1000 + i} served in ${i * 3} ms`);
    lines.push(`${new Date(start + 60_000).toISOString()} ERROR [auth] password reset mail to ${SECRET} bounced`);
    fs.writeFileSync(path.join(logs, 'app.log'), `${lines.join('\n')}\n`, { mode: 0o644 });
    db = await freshDatabase();
    t = await startDockerBackend({ env: { PRODUCT_OS_LOGS: logs, DATABASE_URL: db.url }, executor: { gpuProbe: async () => [] }, llm });
  });
  after(async () => {
    await t?.close();
    await db?.drop();
    if (logs) fs.rmSync(logs, { recursive: true, force: true });
  });

  it('adds the summary, records the call as a usage row, and tells the model nothing but counts and masked templates', async () => {
    const submitted = (await t.backend.engine.submit({ tool: 'ops.log_triage', input: { redact: false }, caller: 'test' })).run;
    const run: Run = await t.backend.engine.waitForTerminal(submitted.id);
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.deepEqual(t.backend.context.registry.get('ops.log_triage')!.validateOutput(run.output), []);
    const out = run.output as { lines: number; summary?: string; templates: Array<{ examples: string[] }> };
    assert.equal(out.lines, 51);
    assert.equal(out.summary, 'Saw 51 lines; one error stands out.');
    // The run asked for unmasked output, so the planted address is in it — and still not in what the model saw.
    assert.ok(JSON.stringify(out).includes(SECRET));
    const prompt = llm.requests.flatMap((r) => r.messages.map((m) => m.content)).join('\n');
    assert.ok(!prompt.includes(SECRET) && !prompt.includes('canary'), prompt);
    for (const ex of out.templates.flatMap((x) => x.examples)) assert.ok(!prompt.includes(ex), `an example line reached the model: ${ex}`);
    const usage = await t.backend.db.query<{ n: number }>('SELECT count(*)::int AS n FROM llm_usage WHERE run_id = $1', [run.id]);
    assert.equal(usage[0].n, 1);
  });
});
