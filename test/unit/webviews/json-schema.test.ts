import assert from 'node:assert/strict';
import { deepEqual, parsePointer, pointerOf, schemaAt, validate } from '../../../contracts/json-schema';

describe('webviews: JSON Schema validator', () => {
  it('accepts valid values and names the pointer and rule of each violation', () => {
    const schema = {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'tags'],
      properties: { name: { type: 'string', minLength: 1, maxLength: 5 }, tags: { type: 'array', items: { type: 'string' }, maxItems: 2 }, n: { type: 'integer', minimum: 1 } },
    };
    assert.deepEqual(validate(schema, { name: 'ok', tags: ['a'] }), []);
    const v = validate(schema, { name: '', tags: ['a', 2, 'c'], n: 1.5, extra: true });
    const rules = v.map((x) => `${x.pointer} ${x.rule}`);
    assert.deepEqual(rules.sort(), ['/extra additionalProperties', '/n type', '/name minLength', '/tags maxItems', '/tags/1 type'].sort());
    assert.match(v.find((x) => x.rule === 'minLength')!.message, /\/name must not be empty/);
    assert.deepEqual(validate(schema, {}).map((x) => x.pointer), ['/name', '/tags']);
  });

  it('handles enum, const, anyOf (nullable), patternProperties, pattern and formats', () => {
    assert.equal(validate({ enum: ['a', 'b'] }, 'c')[0].rule, 'enum');
    assert.equal(validate({ const: 'x' }, 'y')[0].rule, 'const');
    const nullable = { anyOf: [{ type: 'string' }, { type: 'null' }] };
    assert.deepEqual(validate(nullable, null), []);
    assert.equal(validate(nullable, 3)[0].rule, 'anyOf');
    const record = { type: 'object', patternProperties: { '^(.*)$': { type: 'string' } } };
    assert.deepEqual(validate(record, { a: 'x' }), []);
    assert.equal(validate(record, { a: 1 })[0].pointer, '/a');
    assert.equal(validate({ type: 'string', pattern: '^[A-Z]+-[0-9]+$' }, 'po-1')[0].rule, 'pattern');
    assert.equal(validate({ type: 'string', format: 'uuid' }, 'nope')[0].rule, 'format');
    assert.deepEqual(validate({ type: 'string', format: 'date-time' }, '2025-01-01T10:00:00.000Z'), []);
    assert.deepEqual(validate({ type: ['integer', 'null'] }, null), []);
    assert.equal(validate({ type: 'number' }, Number.NaN)[0].rule, 'type');
    assert.equal(validate({ type: 'array', uniqueItems: true }, [1, 2, 1])[0].rule, 'uniqueItems');
  });

  it('stops at 100 violations and at a depth limit', () => {
    const many = validate({ type: 'array', items: { type: 'string' } }, Array.from({ length: 500 }, () => 1));
    assert.equal(many.length, 100);
    let deep: unknown = 'x';
    for (let i = 0; i < 100; i++) deep = { a: deep };
    const loop: Record<string, unknown> = { type: 'object' };
    loop.properties = { a: loop };
    assert.equal(validate(loop, deep).at(-1)?.rule, 'depth');
  });

  it('pointers round-trip with escaping; schemaAt follows properties and items', () => {
    assert.equal(pointerOf(['a/b', 'c~d', 0]), '/a~1b/c~0d/0');
    assert.deepEqual(parsePointer('/a~1b/c~0d/0'), ['a/b', 'c~d', '0']);
    const s = { type: 'object', properties: { list: { type: 'array', items: { type: 'string', title: 'item' } } } };
    assert.deepEqual(schemaAt(s, ['list', 0]), { type: 'string', title: 'item' });
    assert.equal(deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }), true);
    assert.equal(deepEqual({ a: 1 }, { a: 1, b: undefined }), false);
  });
});
