import assert from 'node:assert/strict';
import { bounds, cleanEdges, layout, overlaps } from '../../../webviews/serviceMap/layout';
import { SAMPLE_SERVICE_MAP } from '../../../webviews/serviceMap/sample-data';
import { validate, type JsonSchema } from '../../../contracts/json-schema';
import { toolList } from '../../e2e/panels/fixtures';

describe('webviews: service map layout', () => {
  it('the sample matches ops.service_map’s output schema', () => {
    const schema = toolList(() => false).find((t) => t.name === 'ops.service_map')!.outputSchema as JsonSchema;
    assert.deepEqual(validate(schema, SAMPLE_SERVICE_MAP), []);
  });

  it('places every node, the same way each time, without overlaps', () => {
    const a = layout(SAMPLE_SERVICE_MAP);
    const b = layout(SAMPLE_SERVICE_MAP);
    assert.deepEqual(a, b);
    assert.equal(a.length, SAMPLE_SERVICE_MAP.nodes.length);
    for (let i = 0; i < a.length; i++) for (let j = i + 1; j < a.length; j++) assert.equal(overlaps(a[i], a[j]), false, `${a[i].id} overlaps ${a[j].id}`);
    assert.ok(a.every((p) => p.x >= 20 && p.y >= 20));
    const { width, height } = bounds(a);
    assert.ok(width > 0 && height > 0);
    assert.deepEqual(layout({ nodes: [], edges: [] }), []);
  });

  // How long this takes is a figure, not pass/fail: `npm run bench -- webview-models`.
  it('lays out 40 containers without overlaps', () => {
    const nodes = Array.from({ length: 40 }, (_, i) => ({ ...SAMPLE_SERVICE_MAP.nodes[0], id: `n${i}`, name: `svc-${i}` }));
    const edges = nodes.slice(1).map((n, i) => ({ from: `n${i}`, to: n.id, kind: 'network' as const }));
    const placed = layout({ nodes, edges });
    assert.equal(placed.length, 40);
    for (let i = 0; i < placed.length; i++) for (let j = i + 1; j < placed.length; j++) assert.equal(overlaps(placed[i], placed[j]), false);
  });

  it('drops edges to unknown nodes, self edges and duplicate network edges', () => {
    const edges = cleanEdges({
      nodes: SAMPLE_SERVICE_MAP.nodes.slice(0, 2),
      edges: [
        { from: 'c-web', to: 'c-api', kind: 'network', label: 'app' },
        { from: 'c-api', to: 'c-web', kind: 'network', label: 'app' },
        { from: 'c-web', to: 'c-web', kind: 'link' },
        { from: 'c-web', to: 'ghost', kind: 'env_reference' },
        { from: 'c-web', to: 'c-api', kind: 'env_reference', label: 'API_URL' },
      ],
    });
    assert.equal(edges.length, 2);
  });
});
