/**
 * The Runs view: the reads the editor's views make on their own (low risk, labelled
 * origin=view) sit in one collapsed "View reads" group at the end, which shows them when
 * expanded; runs a person or an agent started, and view-labelled runs that are not low risk,
 * stay in the list.
 */
import './vscode-hook';
import assert from 'node:assert/strict';
import type { Run } from '../../../contracts/rest';
import { isViewRead } from '../../../contracts/run-origin';
import { RunStore } from '../../../extension/views/run-store';
import { RunsTree } from '../../../extension/views/runs-tree';
import type { Services } from '../../../extension/services';

let n = 0;
function run(tool: string, opts: { labels?: Record<string, string>; risk?: Run['risk'] } = {}): Run {
  n++;
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    tool,
    status: 'succeeded',
    risk: opts.risk ?? 'low',
    input: {},
    labels: opts.labels ?? {},
    priority: 0,
    caller: 'api:vscode',
    idempotencyKey: null,
    correlationId: null,
    traceId: 't',
    version: 1,
    attempt: 0,
    maxAttempts: 1,
    createdAt: new Date(Date.UTC(2026, 10, 30, 10, 0, n)).toISOString(),
    updatedAt: new Date(Date.UTC(2026, 10, 30, 10, 0, n)).toISOString(),
    startedAt: null,
    finishedAt: null,
  };
}

describe('extension: the Runs view hides the views\' own reads', () => {
  const view = { origin: 'view' };
  const mine = run('cards.move');
  const list = run('cloudrun.list_services', { labels: view });
  const status = run('cloudrun.get_service_status', { labels: view });
  const follow = run('logs.tail');
  const risky = run('cloudrun.rollback_service', { labels: view, risk: 'high' });

  function tree(runs: Run[]) {
    const store = new RunStore({ call: async () => ({ runs, nextCursor: null }) as never, onRun: () => () => undefined });
    const s = { state: () => ({ kind: 'ready' }), runs: store, tools: { list: async () => [] } } as unknown as Services;
    return new RunsTree(s);
  }

  it('labels and risk decide what is a view read', () => {
    assert.deepEqual([mine, list, status, follow, risky].map(isViewRead), [false, true, true, false, false]);
  });

  it('lists the runs started by a person or agent, then one collapsed group holding the view reads', async () => {
    const t = tree([mine, list, status, follow, risky]);
    const roots = await t.getChildren();
    const items = roots.map((r) => t.getTreeItem(r));
    assert.deepEqual(items.map((i) => i.label), ['cloudrun.rollback_service', 'logs.tail', 'cards.move', 'View reads']);
    const group = items.at(-1)!;
    assert.equal(group.collapsibleState, 1 /* Collapsed */);
    assert.equal(group.description, '2');
    const shown = (await t.getChildren(roots.at(-1))).map((r) => t.getTreeItem(r));
    assert.deepEqual(shown.map((i) => i.label), ['cloudrun.get_service_status', 'cloudrun.list_services'], 'expanding the group shows them, newest first');
    assert.deepEqual(shown.map((i) => i.id), [`run:${status.id}`, `run:${list.id}`]);
  });

  it('keeps its limit of view reads apart: a burst of them never pushes out the runs a person started', () => {
    const store = new RunStore({ call: async () => ({ runs: [], nextCursor: null }) as never, onRun: () => () => undefined }, 3);
    const people = [run('cards.move'), run('cards.move'), run('cards.move')];
    for (const r of people) store.upsert(r);
    for (let i = 0; i < 10; i++) store.upsert(run('cloudrun.list_services', { labels: view }));
    const kept = store.list();
    assert.equal(kept.filter(isViewRead).length, 3, 'the newest 3 view reads');
    assert.deepEqual(kept.filter((r) => !isViewRead(r)).map((r) => r.id).sort(), people.map((r) => r.id).sort());
  });

  it('has no group when there are no view reads', async () => {
    const t = tree([mine, follow]);
    assert.deepEqual((await t.getChildren()).map((r) => t.getTreeItem(r).label), ['logs.tail', 'cards.move']);
  });
});
