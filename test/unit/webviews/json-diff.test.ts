import assert from 'node:assert/strict';
import { applyMergePatch, diffJson, mergePatchBetween } from '../../../webviews/common/json-diff';
import { applyMergePatch as backendApply } from '../../../backend/merge-patch';
import { brandVersions, sampleProfile } from '../../e2e/panels/fixtures';

describe('webviews: merge patch and diff', () => {
  it('makes the merge patch that turns one value into another (checked with the backend’s apply)', () => {
    const from = { name: 'A', voice: { tone: ['x'], do: ['a'] }, audience: { primary: 'p', secondary: 's' }, gone: 1 };
    const to = { name: 'B', voice: { tone: ['x'], do: ['a', 'b'] }, audience: { primary: 'p' } };
    const patch = mergePatchBetween(from, to);
    assert.deepEqual(patch, { gone: null, name: 'B', voice: { do: ['a', 'b'] }, audience: { secondary: null } });
    assert.deepEqual(backendApply(from, patch), to);
    assert.deepEqual(applyMergePatch(from, patch), to);
    assert.deepEqual(mergePatchBetween(to, to), {});
    assert.deepEqual(mergePatchBetween(null, { a: 1 }), { a: 1 });
    assert.throws(() => mergePatchBetween({}, [1]), /must be an object/);
  });

  it('reverts to any version in the history with one patch', () => {
    const [v2, v1] = brandVersions();
    const patch = mergePatchBetween(v2.brand, v1.brand);
    assert.deepEqual(patch, { voice: { tone: ['friendly'] } });
    assert.deepEqual(backendApply(v2.brand, patch), v1.brand);
  });

  it('lists what changed, comparing string lists item by item', () => {
    const before = structuredClone(sampleProfile);
    const after = structuredClone(sampleProfile);
    after.voice.tone = ['friendly', 'warm', 'precise'];
    after.name = 'Acme';
    delete (after.audience as { secondary?: string }).secondary;
    after.claims_policy.compliance_notes = ['No health claims'];
    const changes = diffJson(before, after);
    assert.deepEqual(changes, [
      { kind: 'changed', pointer: '/name', before: 'Acme Analytics', after: 'Acme' },
      { kind: 'added', pointer: '/voice/tone/1', after: 'warm' },
      { kind: 'removed', pointer: '/audience/secondary', before: 'Small product teams' },
      { kind: 'changed', pointer: '/claims_policy/compliance_notes/0', before: 'No medical claims', after: 'No health claims' },
    ]);
    assert.deepEqual(diffJson(before, before), []);
    assert.deepEqual(diffJson(undefined, { a: 1 }), [{ kind: 'added', pointer: '', after: { a: 1 } }]);
    assert.deepEqual(diffJson(['a', 'b', 'c'], ['b', 'c', 'd']), [
      { kind: 'removed', pointer: '/0', before: 'a' },
      { kind: 'added', pointer: '/2', after: 'd' },
    ]);
  });
});
