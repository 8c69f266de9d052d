import assert from 'node:assert/strict';
import { startBackend, until, type TestBackend } from '../helpers/backend';
import { testRegistryFile, TEST_HANDLERS } from '../helpers/test-tools';
import { watchDispatchPasses } from '../helpers/dispatch-passes';
import type { Run, RunEvent, StateEventData } from '../../contracts/rest';
import type { LocalHandler } from '../../backend/executors/local';
import { ping } from '../../backend/tools/system';

async function states(t: TestBackend, runId: string): Promise<string[]> {
  const events: RunEvent[] = await t.backend.engine.events(runId);
  return events.filter((e) => e.type === 'state').map((e) => (e.data as StateEventData).to);
}

/**
 * test.sleep as the engine sees it, with a count of how many run at once and, while `gate` is
 * set, held until it is released: the concurrency test can then see exactly which runs the
 * engine started, with nothing finishing under it.
 */
const held = { active: 0, peak: 0, started: new Set<string>(), gate: null as Promise<void> | null, abortReasons: new Map<string, unknown>() };
const HANDLERS = new Map<string, LocalHandler>([
  ...TEST_HANDLERS,
  // system.ping, then a handler that scribbles on its input: what is stored is what was called.
  [
    'system.ping',
    async (input: { message?: string }, ctx) => {
      const output = await ping(input as never, ctx);
      if (input.message !== undefined) input.message = 'changed by the handler';
      return output;
    },
  ],
  [
    'test.sleep',
    async (input, ctx) => {
      held.active += 1;
      held.peak = Math.max(held.peak, held.active);
      held.started.add(ctx.run.id);
      try {
        if (held.gate) await held.gate;
        return await TEST_HANDLERS.get('test.sleep')!(input, ctx);
      } finally {
        held.active -= 1;
        if (ctx.signal.aborted) held.abortReasons.set(ctx.run.id, ctx.signal.reason);
      }
    },
  ],
]);

describe('runs engine', function () {
  let t: TestBackend;
  before(async () => {
    t = await startBackend({ env: { PRODUCT_OS_REGISTRY: testRegistryFile(), PRODUCT_OS_MEDIUM_RISK: 'approval', PRODUCT_OS_CONCURRENCY: '4' }, handlers: HANDLERS });
  });
  after(() => t.close());

  const submit = (tool: string, input: unknown, extra: object = {}) => t.backend.engine.submit({ tool, input, caller: 'test', ...extra });

  it('records every state of a successful run as an append-only event, in order', async () => {
    const { run } = await submit('test.sleep', { ms: 10 });
    const done = await t.backend.engine.waitForTerminal(run.id);
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(done.output, { slept: 10 });
    assert.deepEqual(await states(t, run.id), ['queued', 'dispatching', 'running', 'succeeded']);
    assert.ok(done.startedAt && done.finishedAt);
    assert.equal(done.attempt, 1);
  });

  it('stores an idempotent in-process call that ends before its insert goes out once, already ended: every state, both audit rows', async () => {
    const { run } = await submit('system.ping', { message: 'hi' });
    // Answered from the one write: already succeeded, never updated (version 1).
    assert.equal(run.status, 'succeeded');
    assert.equal(run.version, 1);
    assert.deepEqual(run.output, { pong: true, message: 'hi', at: (run.output as { at: string }).at });
    assert.ok(run.startedAt && run.finishedAt);
    assert.equal(run.attempt, 1);
    assert.equal(run.executedOn, 'local');
    assert.deepEqual(await states(t, run.id), ['queued', 'dispatching', 'running', 'succeeded']);
    assert.deepEqual(run.input, { message: 'hi' }, 'the input as called, not as the handler left its copy');
    const rows = await t.backend.db.query<{ action: string; outcome: string }>('SELECT action, outcome FROM audit_log WHERE run_id = $1 ORDER BY id', [run.id]);
    assert.deepEqual(rows, [
      { action: 'tool.call', outcome: 'queued' },
      { action: 'tool.result', outcome: 'succeeded' },
    ]);
    assert.deepEqual(await t.backend.engine.get(run.id), run, 'the store holds what the caller was answered');
  });

  it('an idempotent in-process run that writes before its insert has gone out waits for it (its events refer to the run)', async () => {
    // test.chatty reports progress at once, while its insert still waits for its batch.
    const runs = await Promise.all([1, 2, 3].map(() => submit('test.chatty', { lines: 1, ms: 1 })));
    for (const { run } of runs) {
      const done = await t.backend.engine.waitForTerminal(run.id);
      assert.equal(done.status, 'succeeded');
      const events = await t.backend.engine.events(run.id);
      // The insert's two states come first; progress and log follow it.
      assert.deepEqual(events.slice(0, 2).map((e) => (e.data as StateEventData).to), ['queued', 'dispatching']);
      assert.deepEqual(events.filter((e) => e.type !== 'state').map((e) => e.type), ['progress', 'log']);
      assert.deepEqual(await states(t, run.id), ['queued', 'dispatching', 'running', 'succeeded']);
    }
  });

  it('times a run out after the tool timeout and says so', async () => {
    const { run } = await submit('test.sleep', { ms: 10_000 });
    const done = await t.backend.engine.waitForTerminal(run.id);
    assert.equal(done.status, 'timed_out');
    assert.equal(done.error?.code, 'timed_out');
    assert.match(done.error!.message, /within 2 s/);
  });

  it('cancellation reaches a running executor', async () => {
    const { run } = await submit('test.sleep', { ms: 5000 });
    await until(async () => (await t.backend.engine.get(run.id)).status === 'running', 'running');
    await t.backend.engine.cancel(run.id, 'test');
    const done = await t.backend.engine.waitForTerminal(run.id);
    assert.equal(done.status, 'cancelled');
    // The handler itself was stopped by the cancel (not by the 2 s tool timeout).
    await until(async () => held.abortReasons.has(run.id), 'the handler to end');
    assert.equal(held.abortReasons.get(run.id), 'cancel');
    assert.deepEqual(await states(t, run.id), ['queued', 'dispatching', 'running', 'cancelled']);
  });

  it('retries errors marked retryable, and only those', async () => {
    const { run } = await submit('test.flaky', { failures: 1, retryable: true });
    const done = await t.backend.engine.waitForTerminal(run.id);
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(done.output, { attempt: 2 });
    assert.deepEqual(await states(t, run.id), ['queued', 'dispatching', 'running', 'queued', 'dispatching', 'running', 'succeeded']);

    const { run: hard } = await submit('test.flaky', { failures: 1, retryable: false });
    const failed = await t.backend.engine.waitForTerminal(hard.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.attempt, 1);
    assert.match(failed.error!.message, /flaky failure on attempt 1/);
  });

  it('fails a run whose output breaks the outputSchema, naming the field', async () => {
    const { run } = await submit('test.bad_output', {});
    const done = await t.backend.engine.waitForTerminal(run.id);
    assert.equal(done.status, 'failed');
    assert.equal(done.error?.code, 'invalid_output');
    assert.match(done.error!.message, /\/count/);
    assert.equal(done.output, undefined, 'the bad output never reaches the caller');
  });

  it('streams progress and log lines as run events; logs are redacted', async () => {
    const seen: RunEvent[] = [];
    const { run } = await submit('test.chatty', { lines: 3, ms: 5 });
    const off = t.backend.context.bus.onRunEvents(run.id, (e) => seen.push(e));
    await t.backend.engine.waitForTerminal(run.id);
    off();
    await t.backend.context.logger.flush();
    const events = await t.backend.engine.events(run.id);
    assert.equal(events.filter((e) => e.type === 'progress').length, 3);
    assert.equal(events.filter((e) => e.type === 'log').length, 3);
    const lines = await t.api('GET', `/api/logs?runId=${run.id}`);
    assert.equal(lines.body.lines.length, 3);
    for (const l of lines.body.lines) assert.doesNotMatch(l.message, /bob@example\.com/);
    assert.doesNotMatch(JSON.stringify(events), /bob@example\.com/, 'run events are redacted too');
  });

  it('holds medium risk for approval when configured; approve runs it, deny cancels it', async () => {
    const { run } = await submit('brand.update_profile', { profile_id: 'eng', patch: { name: 'Eng' } });
    assert.equal(run.status, 'awaiting_approval');
    // Dispatch passes that would take a queued run leave it alone.
    const passes = watchDispatchPasses(t.backend.engine);
    await passes.after(1).finally(passes.restore);
    assert.equal((await t.backend.engine.get(run.id)).status, 'awaiting_approval', 'never dispatched without approval');
    await t.backend.engine.approve(run.id, 'founder');
    assert.equal((await t.backend.engine.waitForTerminal(run.id)).status, 'succeeded');
    const approvals = await t.backend.db.query<{ decision: string; decided_by: string }>('SELECT decision, decided_by FROM approvals WHERE run_id = $1', [run.id]);
    assert.deepEqual(approvals, [{ decision: 'approved', decided_by: 'founder' }]);

    const { run: other } = await submit('brand.update_profile', { profile_id: 'eng', patch: { name: 'Nope' } });
    const denied = await t.backend.engine.deny(other.id, 'founder', 'not now');
    assert.equal(denied.status, 'cancelled');
    assert.match(denied.error!.message, /denied by founder: not now/);
    await assert.rejects(t.backend.engine.approve(other.id, 'founder'), /not awaiting approval/);
  });

  it('honours idempotency keys: a retried call returns the first run', async () => {
    const a = await submit('test.sleep', { ms: 1 }, { idempotencyKey: 'same-key-1' });
    const b = await submit('test.sleep', { ms: 1 }, { idempotencyKey: 'same-key-1' });
    assert.equal(a.created, true);
    assert.equal(b.created, false);
    assert.equal(a.run.id, b.run.id);
    await assert.rejects(submit('system.ping', {}, { idempotencyKey: 'same-key-1' }), /already names a run of test\.sleep/);
  });

  it('takes the trace id from a W3C traceparent header, else makes one', async () => {
    const traced = await t.api('POST', '/api/runs', { tool: 'system.ping', input: {} }, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    assert.equal(traced.body.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    const untraced = await t.api('POST', '/api/runs', { tool: 'system.ping', input: {} }, { traceparent: 'garbage' });
    assert.match(untraced.body.traceId, /^[0-9a-f]{32}$/);
    assert.notEqual(untraced.body.traceId, traced.body.traceId);
  });

  it('audits every call with the shape of its arguments, not their values', async () => {
    const { run } = await submit('test.sleep', { ms: 4242 }, { correlationId: 'corr-audit' });
    await t.backend.engine.cancel(run.id, 'test');
    // The cancelled run's own result row is written when its handler has stopped, so it is
    // waited for: otherwise it can land after the refusal below and be read as the latest row.
    await t.backend.engine.waitForTerminal(run.id);
    const rows = await t.backend.db.query<{ action: string; args_shape: unknown; outcome: string }>('SELECT action, args_shape, outcome FROM audit_log WHERE run_id = $1 ORDER BY id', [run.id]);
    assert.deepEqual(rows[0], { action: 'tool.call', args_shape: { ms: 'number' }, outcome: 'queued' });
    assert.doesNotMatch(JSON.stringify(rows), /4242/);
    await assert.rejects(submit('test.sleep', { ms: 'soon' }), /\/ms must be integer/);
    const refused = await t.backend.db.query<{ outcome: string }>(`SELECT outcome FROM audit_log WHERE tool = 'test.sleep' AND action = 'tool.call' ORDER BY id DESC LIMIT 1`);
    assert.equal(refused[0].outcome, 'refused:invalid_input');
  });

  it('runs at most the configured number of runs at once (4); the rest wait queued until slots free', async () => {
    await until(async () => t.backend.engine.activeCount() === 0 && held.active === 0, 'earlier runs to end');
    let release!: () => void;
    held.gate = new Promise<void>((r) => (release = r));
    held.peak = 0;
    held.started.clear();
    const runs: Run[] = [];
    try {
      for (let i = 0; i < 6; i++) runs.push((await submit('test.sleep_idempotent', { ms: 1 })).run);
      const stored = async () => Promise.all(runs.map((r) => t.backend.engine.get(r.id)));
      // Four handlers are held inside the executor, and the other two are stored queued. With
      // the limit broken, the last two are claimed at once and this never comes true.
      await until(async () => held.started.size === 4 && (await stored()).filter((r) => r.status === 'queued').length === 2, 'four runs started and two queued');
      // Dispatch passes run with the four held: each must find no free slot.
      const passes = watchDispatchPasses(t.backend.engine);
      try {
        await passes.after(2);
      } finally {
        passes.restore();
      }
      assert.equal(held.started.size, 4, 'a fifth run started while four were running');
      assert.equal((await stored()).filter((r) => r.status === 'queued').length, 2);
      assert.equal(held.peak, 4);
    } finally {
      held.gate = null;
      release();
    }
    const done = await Promise.all(runs.map((r) => t.backend.engine.waitForTerminal(r.id)));
    assert.deepEqual(done.map((r) => r.status), Array(6).fill('succeeded'));
    assert.equal(held.started.size, 6);
    assert.ok(held.peak <= 4, `${held.peak} ran at once`);
  });
});
