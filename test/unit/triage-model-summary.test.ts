import assert from 'node:assert/strict';
import type { ExecutionContext } from '../../backend/executors/executor';
import { ProductOsError } from '../../backend/errors';
import { addTriageSummary, cleanSummary, triageDigest } from '../../backend/tools/triage-model-summary';
import { finishTask } from '../../backend/executors/task-finish';
import { TRIAGE_SUMMARY_MAX, TriageSummary } from '../../contracts/tools/log-triage-summary';
import { loadRegistry } from '../../registry/loader';
import { triageLines, type TriageResult } from '../../workers/tasks/log-triage';
import { ScriptedLlm } from '../helpers/scripted-llm';
import type { LlmProvider } from '../../backend/llm/provider';

/**
 * ops.log_triage's optional model summary, written in the backend after the worker's result:
 * the model sees counts, flags and masked templates, never log lines or variable values; no
 * model, no summary and the output as before; a failing model costs only the summary.
 */

const registry = loadRegistry();
const tool = registry.get('ops.log_triage')!;

// Secrets and personal data planted in the lines: none may reach the model.
const CANARIES = ['alice.canary@example.com', '203.0.113.77', 'sk-canaryKEY0123456789abcdef', 'Bearer canaryTOKENabcdefgh123'];
function logWith(redacted: boolean): TriageResult {
  const lines: string[] = [];
  for (let i = 0; i < 400; i++) {
    const s = String(i % 60).padStart(2, '0');
    lines.push(`2026-11-30T10:${String(Math.floor(i / 60)).padStart(2, '0')}:${s}Z INFO [api] request ${1000 + i} served in ${i % 97} ms`);
  }
  lines.push(`2026-11-30T10:07:00Z ERROR [auth] login failed for ${CANARIES[0]} from ${CANARIES[1]} key ${CANARIES[2]} header ${CANARIES[3]}`);
  return triageLines(lines, redacted ? {} : { redact: (l) => l });
}

interface Logged {
  level: string;
  message: string;
}
function fakeCtx(llm: (() => Promise<LlmProvider>) | null, logs: Logged[] = [], signal = new AbortController().signal): ExecutionContext {
  return {
    signal,
    llm: llm ?? (async () => Promise.reject(new ProductOsError('not_configured', 'no local model is configured: set PRODUCT_OS_LLM_URL'))),
    log: async (level: string, message: string) => void logs.push({ level, message }),
  } as unknown as ExecutionContext;
}

describe('log triage: the model summary', () => {
  it('the registry declares `summary` as the contract does, optional', () => {
    const spec = tool.spec.outputSchema as { properties: Record<string, Record<string, unknown>>; required: string[] };
    const { description: _, ...declared } = spec.properties.summary;
    assert.deepEqual(declared, JSON.parse(JSON.stringify(TriageSummary)));
    assert.ok(!spec.required.includes('summary'));
  });

  it('the digest has counts, flags and templates, and no line, value or secret — even when the run did not redact', () => {
    const r = logWith(false);
    assert.ok(JSON.stringify(r).includes(CANARIES[0]), 'the unredacted output carries the planted values (the test would prove nothing otherwise)');
    const digest = triageDigest(r);
    for (const c of CANARIES) assert.ok(!digest.includes(c), `${c} reached the digest:\n${digest}`);
    for (const ex of r.templates.flatMap((t) => t.examples)) assert.ok(!digest.includes(ex), `an example line reached the digest: ${ex}`);
    assert.match(digest, /^401 lines in 1 file\(s\), timestamps from 2026-11-30T10:00:00\.000Z to 2026-11-30T10:07:00\.000Z; 2 templates\./);
    assert.match(digest, /First triage of these logs/);
    assert.match(digest, /Flagged templates \(1\):\n- 1 line\(s\), level error, at 2026-11-30T10:07:00\.000Z: "login failed for <\*> from <\*> key <\*> header Bearer <\*>"\n {2}why: error: /);
    // Nor any piece of the key the masker left in the unredacted template.
    assert.ok(!digest.includes('canary'), digest);
    assert.match(digest, /Most frequent steady templates:\n- 400 line\(s\), level info/);
  });

  it('adds the summary the model wrote; the output still validates; the model was asked for schema-constrained JSON', async () => {
    const r = logWith(true);
    const llm = new ScriptedLlm([{ json: { summary: '  One failed login   stands out among 400 served requests.  ' } }]);
    const out = (await addTriageSummary(r, fakeCtx(async () => llm))) as TriageResult & { summary?: string };
    assert.equal(out.summary, 'One failed login stands out among 400 served requests.');
    assert.deepEqual(tool.validateOutput(out), []);
    assert.equal(llm.requests.length, 1);
    assert.ok(llm.requests[0].schema, 'schema-constrained');
    const prompt = llm.requests[0].messages.map((m) => m.content).join('\n');
    for (const c of CANARIES) assert.ok(!prompt.includes(c));
  });

  it('without a model, with no lines read, or with a model that fails or answers nothing, the output is as the worker made it', async () => {
    const r = logWith(true);
    const logs: Logged[] = [];
    assert.equal(await addTriageSummary(r, fakeCtx(null, logs)), r);
    assert.equal(logs.length, 0, 'no model configured is the normal case: nothing to warn about');

    const empty = new ScriptedLlm([]);
    const none = triageLines([]);
    assert.equal(await addTriageSummary(none, fakeCtx(async () => empty)), none);
    assert.equal(empty.requests.length, 0, 'no model call when nothing was read');

    const failing: LlmProvider = { provider: 'x', model: 'm', generate: async () => Promise.reject(new ProductOsError('unavailable', 'the model server at 127.0.0.1 closed the connection')) };
    assert.equal(await addTriageSummary(r, fakeCtx(async () => failing, logs)), r);
    assert.deepEqual([...logs], [{ level: 'warn', message: 'log triage: no summary, the local model failed (unavailable)' }]);

    logs.length = 0;
    assert.equal(await addTriageSummary(r, fakeCtx(async () => new ScriptedLlm([{ json: { summary: '   ' } }]), logs)), r);
    assert.match(logs[0].message, /did not answer with one/);
  });

  it('a cancelled run is not turned into a success without a summary', async () => {
    const ac = new AbortController();
    const slow: LlmProvider = {
      provider: 'x',
      model: 'm',
      generate: async (req) => {
        ac.abort('cancel');
        req.signal?.throwIfAborted();
        return { text: '{}', usage: { provider: 'x', model: 'm', promptTokens: 1, completionTokens: 1, durationMs: 1 } };
      },
    };
    await assert.rejects(addTriageSummary(logWith(true), fakeCtx(async () => slow, [], ac.signal)));
  });

  it('a summary is masked and cut at a word to the limit; a task other than log_triage is left alone', async () => {
    assert.equal(cleanSummary({ summary: 'Failures from 10.0.0.8 for bob@example.org.' }), 'Failures from [redacted-ip] for [redacted-email].');
    const long = cleanSummary({ summary: 'word '.repeat(400) })!;
    assert.ok([...long].length <= TRIAGE_SUMMARY_MAX, `${[...long].length}`);
    assert.match(long, /word…$/);
    assert.equal(cleanSummary({ text: 'x' }), null);
    const other = { lines: 3, templates: [] };
    assert.equal(await finishTask('gpu_report', other, fakeCtx(async () => new ScriptedLlm([])) ), other);
  });
});
