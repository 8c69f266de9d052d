import assert from 'node:assert/strict';
import { buildForm, emptyValue, getAt, humanize, labelFor, numberValue, placeViolations, setAt, textValue, walkForm, withRequired, type FormNode } from '../../../webviews/brain/schema-form';
import { validate, type JsonSchema } from '../../../contracts/json-schema';
import { brandSchema, sampleProfile } from '../../e2e/panels/fixtures';

describe('webviews: form from a JSON Schema', () => {
  it('builds the brand profile form from the registry schema: groups, text fields, string lists', () => {
    const form = buildForm(brandSchema as JsonSchema);
    const nodes = walkForm(form).map((n) => `${n.pointer || '/'} ${n.kind}${n.required ? '' : '?'}`);
    assert.deepEqual(nodes, [
      '/ object',
      '/name text',
      '/voice object',
      '/voice/tone stringList',
      '/voice/style_notes stringList',
      '/voice/do stringList',
      '/voice/dont stringList',
      '/audience object',
      '/audience/primary text?',
      '/audience/secondary text?',
      '/claims_policy object',
      '/claims_policy/forbidden_claims stringList?',
      '/claims_policy/required_disclaimers stringList?',
      '/claims_policy/compliance_notes stringList?',
    ]);
    assert.equal(walkForm(form).find((n) => n.pointer === '/voice/dont')!.label, "Don't");
    assert.equal(labelFor('style_notes'), 'Style notes');
  });

  it('maps other schema kinds: enums, numbers, booleans, and JSON for the rest', () => {
    const form = buildForm({ type: 'object', required: ['a'], properties: { a: { type: 'string', enum: ['x', 'y'] }, n: { type: 'integer', minimum: 2 }, b: { type: 'boolean' }, o: { type: 'array', items: { type: 'object' } }, u: { type: ['string', 'number'] } } });
    const kinds = walkForm(form).slice(1).map((n) => n.kind);
    assert.deepEqual(kinds, ['text', 'number', 'boolean', 'json', 'json']);
    assert.deepEqual((walkForm(form)[1] as FormNode & { kind: 'text' }).enum, ['x', 'y']);
    assert.deepEqual(emptyValue(form), { a: 'x' });
    const n = walkForm(form)[2] as FormNode & { kind: 'number' };
    assert.equal(numberValue(n, '3'), 3);
    assert.equal(numberValue(n, ''), undefined);
    assert.ok(Number.isNaN(numberValue(n, '2.5')!));
  });

  it('reads and writes values at a path without changing the original', () => {
    const before = structuredClone(sampleProfile);
    const next = setAt(sampleProfile, ['voice', 'tone', 1], 'warm') as typeof sampleProfile;
    assert.deepEqual(next.voice.tone, ['friendly', 'warm']);
    assert.deepEqual(sampleProfile, before);
    assert.equal(getAt(next, ['voice', 'tone', 0]), 'friendly');
    const removed = setAt(sampleProfile, ['audience', 'secondary'], undefined) as typeof sampleProfile;
    assert.deepEqual(removed.audience, { primary: 'Solo founders' });
    assert.deepEqual(setAt(undefined, ['a', 'b'], 1), { a: { b: 1 } });
  });

  it('fills the required parts of an empty profile so it validates and can be edited', () => {
    const form = buildForm(brandSchema as JsonSchema);
    const blank = withRequired(form, {});
    assert.deepEqual(blank, { name: '', voice: { tone: [], style_notes: [], do: [], dont: [] }, audience: {}, claims_policy: {} });
    assert.deepEqual(validate(brandSchema as JsonSchema, blank), []);
    const opt = walkForm(form).find((n) => n.pointer === '/audience/primary')!;
    assert.equal(textValue(opt, ''), undefined);
    assert.equal(textValue(walkForm(form)[1], ''), '');
  });

  it('places violations on the nearest field, mapping the backend’s /patch pointers', () => {
    const fields = new Set(['', '/name', '/voice', '/voice/tone', '/voice/tone/0']);
    const placed = placeViolations(
      [
        { pointer: '/patch/voice/tone/0', rule: 'type', message: '/patch/voice/tone/0 must be string' },
        { pointer: '/voice/tone/7', rule: 'type', message: '/voice/tone/7 must be string' },
        { pointer: '/voice/extra', rule: 'additionalProperties', message: '/voice/extra is not an allowed property' },
        { pointer: '/name', rule: 'required', message: '/name is required' },
      ],
      fields,
      '/patch',
    );
    assert.deepEqual(placed.get('/voice/tone/0'), ['Item 1 must be string']);
    assert.deepEqual(placed.get('/voice/tone'), ['Item 8 must be string']);
    assert.deepEqual(placed.get('/voice'), ['Extra is not a field of the profile']);
    assert.deepEqual(placed.get('/name'), ['Name is required']);
    assert.equal(humanize({ pointer: '', rule: 'type', message: '/ must be object, not array' }, ''), 'This must be object, not array');
  });
});
