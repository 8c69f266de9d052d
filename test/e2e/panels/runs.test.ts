/**
 * The Runs panel in headless Chromium with a fake host: the windowed list with a thousand runs,
 * filters sent as queries, a run's detail (timeline, input/output, tokens, live log lines),
 * Approve on a run awaiting approval, Retry, live changes, and no console errors.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Run } from '../../../contracts/rest';
import { usePanelBrowser, FakeHost, screenshotsDir, until } from './harness';
import { makeEvents, makeLog, makeRun, toolList } from './fixtures';

describe('Runs panel (browser)', function () {
  this.timeout(120_000);
  const panels = usePanelBrowser();

  function runsHost(runs: Run[]): FakeHost {
    const byId = new Map(runs.map((r) => [r.id, r]));
    return new FakeHost({
      'tools/list': () => ({ tools: toolList(() => false) }),
      'runs/list': (q) => {
        const all = [...byId.values()].filter((r) => (!q.status || q.status.split(',').includes(r.status)) && (!q.tool || r.tool === q.tool) && (!q.correlationId || r.correlationId === q.correlationId));
        all.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
        const start = q.cursor ? Number(q.cursor) : 0;
        const limit = q.limit ?? 50;
        const page = all.slice(start, start + limit);
        return { runs: page, nextCursor: start + limit < all.length ? String(start + limit) : null };
      },
      'run/get': ({ id }) => {
        const run = byId.get(id) as Run;
        return { run, events: makeEvents(run), logs: [makeLog(run.id, 1, 'started the worker')] };
      },
      'run/approve': ({ id }) => {
        const run = { ...(byId.get(id) as Run), status: 'queued' as const, version: 5 };
        byId.set(id, run);
        return run;
      },
      'run/retry': ({ id }) => {
        const old = byId.get(id) as Run;
        const run = makeRun({ tool: old.tool, input: old.input, status: 'queued', createdAt: '2030-01-01T00:00:00.000Z' });
        byId.set(run.id, run);
        return run;
      },
      'run/cancel': ({ id }) => ({ ...(byId.get(id) as Run), status: 'cancelled' as const, version: 9 }),
      'run/usage': ({ id }) => {
        const calls = (usage.get(id) ?? []).map((c, i) => ({ id: i + 1, runId: id, provider: 'llama.cpp-worker', model: 'qwen2.5-3b-instruct-q4_k_m.gguf', durationMs: 1500, createdAt: '2030-01-01T00:00:00.000Z', ...c }));
        const sum = (k: 'promptTokens' | 'completionTokens' | 'durationMs') => calls.reduce((a, c) => a + c[k], 0);
        return { runId: id, calls, totals: { calls: calls.length, promptTokens: sum('promptTokens'), completionTokens: sum('completionTokens'), durationMs: sum('durationMs') } };
      },
      'usage/daily': () => ({ days: [{ day: new Date().toISOString().slice(0, 10), runs: 3, calls: 4, promptTokens: 9876, completionTokens: 543, durationMs: 4000 }] }),
    });
  }
  /** Model calls per run id, as the backend's usage rows would have them. */
  const usage = new Map<string, Array<{ promptTokens: number; completionTokens: number }>>();

  it('lists a thousand runs windowed, filters them, and pages', async () => {
    const runs = Array.from({ length: 1000 }, (_, i) => makeRun({ tool: i % 2 ? 'system.ping' : 'brand.get_profile', status: i % 10 === 0 ? 'failed' : 'succeeded', correlationId: i % 100 === 0 ? 'deploy-42' : null }));
    const host = runsHost(runs);
    const { page, problems } = await panels.open('runs', host);
    await page.waitForSelector('.vlist-row');
    await page.waitForSelector('#app[aria-busy="false"]', { timeout: 5000 });
    assert.ok((await page.locator('.vlist-row').count()) < 80, 'only the rows in view exist');
    // Scrolling to the end loads the next page.
    await page.evaluate(() => {
      const l = document.querySelector('.vlist') as HTMLElement;
      l.scrollTop = l.scrollHeight;
    });
    await until(() => host.requests.some((r) => r.method === 'runs/list' && (r.params as { cursor?: string }).cursor === '100'), 5000, 'the second page');
    // The correlation id filter goes to the host as a query.
    await page.fill('vscode-textfield[data-filter="correlationId"] input', 'deploy-42');
    await until(() => host.requests.some((r) => r.method === 'runs/list' && (r.params as { correlationId?: string }).correlationId === 'deploy-42'), 5000, 'a filtered query');
    await page.waitForFunction(() => document.querySelector('[data-role="count"]')?.textContent === '10 runs');
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('shows a run awaiting approval and approves it', async () => {
    const pending = makeRun({ tool: 'cloudrun.deploy_service', risk: 'high', status: 'awaiting_approval', output: undefined, input: { service: 'web', image: 'x' } });
    const host = runsHost([makeRun(), pending]);
    const { page, problems } = await panels.open('runs', host);
    await page.click(`.vlist-row[data-key="${pending.id}"]`);
    await page.waitForSelector('vscode-button[data-action="approve"]');
    assert.match(await page.locator('[data-role="timeline"]').innerText(), /queued → awaiting approval/);
    assert.match(await page.locator('[data-role="tokens"]').innerText(), /No LLM token counts/);
    // Live log lines arrive while the detail is open.
    await host.notify({ type: 'log/line', line: makeLog(pending.id, 2, 'waiting for a person') });
    await page.waitForSelector('[data-role="logs"] .line[data-line="2"]', { state: 'attached' });
    await page.screenshot({ path: join(screenshotsDir, 'panel-runs.png') });
    const approved = host.waitFor('run/approve');
    await page.click('vscode-button[data-action="approve"]');
    assert.equal(((await approved).params as { id: string }).id, pending.id);
    await page.waitForSelector('vscode-button[data-action="cancel"]');
    assert.equal(await page.locator('vscode-button[data-action="approve"]').count(), 0);
    // A live change moves it along.
    await host.notify({ type: 'run/changed', run: { ...pending, status: 'succeeded', version: 9, output: { ok: true } } });
    await page.waitForSelector('vscode-button[data-action="retry"]');
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('names runs by tool title and callers in people\'s words; a run not tried again shows no attempt count', async () => {
    const failed = makeRun({ tool: 'ops.log_triage', caller: 'cli:demo', status: 'failed', attempt: 1, maxAttempts: 3, output: undefined, error: { code: 'not_configured', message: 'the logs folder does not exist' } });
    const retried = makeRun({ tool: 'system.ping', caller: 'mcp:cursor', attempt: 2, maxAttempts: 3 });
    const { page, problems } = await panels.open('runs', runsHost([failed, retried]));
    await page.waitForFunction((id) => document.querySelector(`.vlist-row[data-key="${id}"] .tool`)?.textContent === 'Triage logs', failed.id);
    assert.equal(await page.locator(`.vlist-row[data-key="${failed.id}"] .tool`).getAttribute('title'), 'ops.log_triage', 'the id stays as a hint');
    await page.click(`.vlist-row[data-key="${failed.id}"]`);
    await page.waitForFunction(() => document.querySelector('.run-detail h2')?.textContent === 'Triage logs');
    const facts = await page.locator('.run-detail dl, .run-detail [data-role="facts"]').first().innerText();
    assert.doesNotMatch(facts, /Attempt/);
    assert.match(facts, /the demo data \(product-os demo\)/);
    assert.doesNotMatch(facts, /cli:demo/);
    await page.click(`.vlist-row[data-key="${retried.id}"]`);
    await page.waitForFunction(() => /Attempt\s*2 of 3/.test(document.querySelector('.run-detail')?.textContent ?? ''));
    assert.match(await page.locator('.run-detail').innerText(), /cursor \(an agent, over MCP\)/);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('shows a run\'s model usage from the backend\'s usage rows, and today\'s totals', async () => {
    const done = makeRun({ tool: 'ops.log_triage', status: 'succeeded' });
    usage.set(done.id, [
      { promptTokens: 2000, completionTokens: 120 },
      { promptTokens: 1500, completionTokens: 80 },
    ]);
    const host = runsHost([done]);
    const { page, problems } = await panels.open('runs', host);
    await page.waitForFunction(() => /LLM today: 9,876 prompt · 543 completion tokens/.test(document.querySelector('[data-role="daily-usage"]')?.textContent ?? ''));
    await page.click(`.vlist-row[data-key="${done.id}"]`);
    await page.waitForFunction(() => /3,500 prompt · 200 completion · 2 calls/.test(document.querySelector('[data-role="tokens"]')?.textContent ?? ''));
    assert.match((await page.locator('[data-role="tokens"]').getAttribute('title')) ?? '', /qwen2\.5-3b-instruct-q4_k_m\.gguf \(llama\.cpp-worker\)/);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('retries a finished run and shows token counts when the output has them', async () => {
    const done = makeRun({ tool: 'cards.run', input: { card_key: 'PO-1' }, output: { card_key: 'PO-1', status: 'completed', files_changed: [], summary: 'ok', tokens: { prompt: 1200, completion: 340 } } });
    const host = runsHost([done]);
    const { page, problems } = await panels.open('runs', host);
    await page.click(`.vlist-row[data-key="${done.id}"]`);
    await page.waitForSelector('[data-role="tokens"]');
    assert.match(await page.locator('[data-role="tokens"]').innerText(), /1,200 prompt · 340 completion/);
    const retried = host.waitFor('run/retry');
    await page.click('vscode-button[data-action="retry"]');
    assert.equal(((await retried).params as { id: string }).id, done.id);
    await page.waitForFunction(() => /Submitted Run card again/.test(document.getElementById('banner')?.textContent ?? ''));
    assert.equal(await page.locator('.vlist-row').count(), 2);
    const state = host.state as { selected?: string };
    assert.notEqual(state.selected, done.id, 'the new run is selected');
    assert.deepEqual(problems, []);
    await page.close();
  });
});
