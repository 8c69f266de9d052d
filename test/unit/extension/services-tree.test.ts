/**
 * The Services view's model: services from cloudrun.list_services, their revisions from
 * get_service_status (status, traffic, ref; the serving one marked for the menus), an empty
 * target's message, a redraw when a deploy or rollback run starts or ends (not for other tools),
 * and reads again while a service is deploying.
 */
import './vscode-hook';
import assert from 'node:assert/strict';
import type { Run } from '../../../contracts/rest';
import type { ListServicesOutput, ServiceStatus } from '../../../contracts/tools/deploy';
import { ServicesTree, type ServiceNode } from '../../../extension/views/services-tree';
import type { Services } from '../../../extension/services';

const SERVICE = { service_name: 'web', region: 'local', service_url: 'http://127.0.0.1:4000', status: 'ready' as const, serving_revision: 'web-00001-abc', revision_count: 2 };
const STATUS: ServiceStatus = {
  service_name: 'web',
  region: 'local',
  service_url: SERVICE.service_url,
  latest_ready_revision: 'web-00002-def',
  status: 'ready',
  serving_revision: 'web-00001-abc',
  revisions: [
    { name: 'web-00002-def', status: 'retired', traffic_percent: 0, created_at: '2026-11-30T10:01:00Z', ref: 'main' },
    { name: 'web-00001-abc', status: 'ready', traffic_percent: 100, created_at: '2026-11-30T10:00:00Z', ref: 'v1' },
  ],
};

function fakeServices(outputs: Record<string, unknown>) {
  const calls: string[] = [];
  const labels: unknown[] = [];
  const runListeners: Array<(run: Run) => void> = [];
  const run = (tool: string, output: unknown): Run => ({ id: '00000000-0000-4000-8000-000000000001', tool, status: 'succeeded', risk: 'low', input: {}, output } as unknown as Run);
  let last = '';
  const s = {
    state: () => ({ kind: 'ready' }),
    api: {
      call: async (route: string, args: { body?: { tool: string; labels?: unknown } }) => {
        if (route === 'createRun') {
          last = args.body!.tool;
          calls.push(last);
          labels.push(args.body!.labels);
          return run(last, outputs[last]);
        }
        return run(last, outputs[last]);
      },
      onRun: (l: (run: Run) => void) => {
        runListeners.push(l);
        return () => undefined;
      },
    },
  } as unknown as Services;
  return { s, calls, labels, emit: (r: Partial<Run>) => runListeners.forEach((l) => l(r as Run)) };
}

describe('extension: the Services view', () => {
  it('lists services, then their revisions with status, traffic and ref', async () => {
    const { s, calls, labels } = fakeServices({ 'cloudrun.list_services': { target: 'local', services: [SERVICE] } satisfies ListServicesOutput, 'cloudrun.get_service_status': STATUS });
    const tree = new ServicesTree(s);
    const roots = await tree.getChildren();
    assert.equal(roots.length, 1);
    const root = tree.getTreeItem(roots[0]);
    assert.equal(root.label, 'web');
    assert.equal(root.contextValue, 'service');
    assert.match(String(root.description), /ready · http:\/\/127\.0\.0\.1:4000/);
    const revisions = await tree.getChildren(roots[0]);
    const items = revisions.map((n: ServiceNode) => tree.getTreeItem(n));
    assert.deepEqual(items.map((i) => i.label), ['web-00002-def', 'web-00001-abc']);
    assert.deepEqual(items.map((i) => i.contextValue), ['revision', 'revision.serving'], 'rollback is offered on the revisions not serving');
    assert.match(String(items[1].description), /100% traffic · ready · v1/);
    assert.deepEqual(calls, ['cloudrun.list_services', 'cloudrun.get_service_status']);
    assert.deepEqual(labels, [{ origin: 'view' }, { origin: 'view' }], 'the view\'s own reads are labelled so the run lists can hide them');
    tree.dispose();
  });

  it('says how to start when the target has no services', async () => {
    const { s } = fakeServices({ 'cloudrun.list_services': { target: 'local', services: [] } });
    const tree = new ServicesTree(s);
    const view = { message: undefined as string | undefined, description: undefined as string | undefined };
    tree.view = view as never;
    assert.deepEqual(await tree.getChildren(), []);
    assert.match(view.message ?? '', /No services yet on the local target/);
    tree.dispose();
  });

  it('redraws when a deploy or rollback starts or ends, not for other runs or while one waits', async () => {
    const { s, emit } = fakeServices({ 'cloudrun.list_services': { target: 'local', services: [SERVICE] } });
    const tree = new ServicesTree(s);
    await tree.getChildren();
    let redraws = 0;
    tree.onDidChangeTreeData(() => redraws++);
    emit({ tool: 'cards.move', status: 'succeeded' });
    emit({ tool: 'cloudrun.rollback_service', status: 'awaiting_approval' });
    emit({ tool: 'cloudrun.deploy_service', status: 'queued' });
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(redraws, 0);
    emit({ tool: 'cloudrun.deploy_service', status: 'running' });
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(redraws, 1, 'a deploy that starts: the service reads as deploying');
    emit({ tool: 'cloudrun.rollback_service', status: 'succeeded' });
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(redraws, 2);
    tree.dispose();
  });

  it('reads again while a service is deploying, until it is not (a cancelled deploy\'s clean-up outlasts its run)', async () => {
    const outputs: Record<string, unknown> = { 'cloudrun.list_services': { target: 'local', services: [{ ...SERVICE, status: 'deploying' }] } };
    const { s, calls } = fakeServices(outputs);
    const tree = new ServicesTree(s, { settleEveryMs: 20 });
    let redraws = 0;
    tree.onDidChangeTreeData(() => {
      redraws++;
      // The editor reads the view again on each redraw; the second read finds it settled.
      if (redraws === 2) outputs['cloudrun.list_services'] = { target: 'local', services: [SERVICE] };
      void tree.getChildren();
    });
    await tree.getChildren();
    for (let i = 0; i < 100 && calls.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(calls.length, 3, 'deploying, deploying, ready');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(calls.length, 3, 'no more reads once nothing deploys');
    assert.equal(redraws, 2);
    tree.dispose();
  });

  it('stops reading again after settleForMs of deploying', async () => {
    const { s, calls } = fakeServices({ 'cloudrun.list_services': { target: 'local', services: [{ ...SERVICE, status: 'deploying' }] } });
    const tree = new ServicesTree(s, { settleEveryMs: 10, settleForMs: 60 });
    tree.onDidChangeTreeData(() => void tree.getChildren());
    await tree.getChildren();
    await new Promise((r) => setTimeout(r, 400));
    const reads = calls.length;
    assert.ok(reads >= 2 && reads <= 12, `bounded reads: ${reads}`);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(calls.length, reads, 'it stopped');
    tree.dispose();
  });
});
