import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseStrictJson, jsonValueProblem, jsonTextDepth, MAX_JSON_DEPTH } from '../../contracts/strict-json';
import { applyMergePatch } from '../../backend/merge-patch';
import { ProductOsError, safeMessage, MAX_ERROR_MESSAGE, MAX_ERROR_ITEMS } from '../../backend/errors';

/** Seeded: a failure prints the seed and path, and HOSTILE_SEED repeats it. */
const SEED = Number(process.env.HOSTILE_SEED ?? 20261130);

describe('strict JSON: what every input must be (issue 8)', () => {
  it('refuses a __proto__ key anywhere, and constructor.prototype, naming where', () => {
    for (const [text, pointer] of [
      ['{"__proto__":{"name":"x"}}', '/__proto__'],
      ['{"patch":{"name":null,"__proto__":{"name":"x"}}}', '/patch/__proto__'],
      ['[1,{"a":{"constructor":{"prototype":{"x":1}}}}]', '/1/a/constructor'],
    ] as const) {
      const r = parseStrictJson(text);
      assert.ok('problem' in r, text);
      assert.equal(r.problem.pointer, pointer);
      assert.equal(r.problem.rule, 'prototypeKey');
    }
    assert.ok('value' in parseStrictJson('{"constructor":"a string is only a field"}'));
  });

  it('refuses what cannot be stored exactly: 1e400, lone surrogates, NUL', () => {
    assert.equal((parseStrictJson('{"position":1e400}') as { problem: { rule: string } }).problem.rule, 'finiteNumber');
    assert.equal((parseStrictJson('{"t":"a\\ud800b"}') as { problem: { rule: string } }).problem.rule, 'unicode');
    assert.equal((parseStrictJson('{"\\udc00":1}') as { problem: { rule: string } }).problem.rule, 'unicode');
    assert.equal((parseStrictJson('"\\u0000"') as { problem: { rule: string } }).problem.rule, 'nul');
    assert.deepEqual((parseStrictJson('{"t":"\\ud83d\\ude00"}') as { value: unknown }).value, { t: '😀' });
  });

  it('measures depth on the text, strings and escapes included, and stops early', () => {
    assert.equal(jsonTextDepth('{"a":"[[[[\\"{{"}'), 1);
    assert.equal(jsonTextDepth('[[[]]]'), 3);
    assert.equal(jsonTextDepth('['.repeat(1_000_000)), MAX_JSON_DEPTH + 1);
    const deep = parseStrictJson(`${'['.repeat(3000)}${']'.repeat(3000)}`);
    assert.ok('problem' in deep && deep.problem.rule === 'depth');
  });

  it('agrees with JSON.parse on every ordinary JSON value (property, seeded)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (v) => {
        const text = JSON.stringify(v);
        const r = parseStrictJson(text);
        // fast-check's JSON values may hold __proto__ keys, NUL or lone surrogates: the only refusals.
        if ('problem' in r) return r.problem.rule === 'prototypeKey' || r.problem.rule === 'nul' || r.problem.rule === 'unicode';
        assert.deepEqual(r.value, JSON.parse(text));
        return true;
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('checks a parsed value without recursion: a million levels is a problem, not a stack overflow', () => {
    let v: unknown = 1;
    for (let i = 0; i < 1_000_000; i++) v = [v];
    assert.equal(jsonValueProblem(v)?.rule, 'depth');
    assert.equal(jsonValueProblem({ a: [1, 2, { b: Infinity }] })?.pointer, '/a/2/b');
    assert.equal(jsonValueProblem({ a: NaN })?.rule, 'finiteNumber');
  });
});

describe('merge patch and prototype keys (issue 8, item 1)', () => {
  it('a __proto__ key in a patch cannot drop a field past the schema', () => {
    const patch = JSON.parse('{"name":null,"__proto__":{"name":"x"}}');
    const out = applyMergePatch({ name: 'Acme', voice: { tone: [] } }, patch) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(out), Object.prototype, 'the result keeps a plain prototype');
    assert.equal(out.name, undefined);
    assert.ok(Object.prototype.hasOwnProperty.call(out, '__proto__'), 'the key is data, seen by the schema as an unknown field');
    assert.equal(({} as Record<string, unknown>).name, undefined, 'Object.prototype untouched');
  });

  it('merges a patch thousands of levels deep without recursion', () => {
    let patch: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 5000; i++) patch = { a: patch };
    assert.doesNotThrow(() => applyMergePatch({}, patch));
  });
});

describe('error bodies are bounded and free of internals (issue 8, items 4 and 5)', () => {
  it('drops V8 stack frames and control characters from a message, and bounds its length', () => {
    const worker = 'worker aborted: RangeError: Array buffer allocation failed\n    at new ArrayBuffer (<anonymous>)\n    at readLog (/app/log.js:10:5)\n    at async main (node:internal/x:1:1)';
    assert.equal(safeMessage(worker), 'worker aborted: RangeError: Array buffer allocation failed');
    assert.ok(safeMessage('x'.repeat(100_000)).length < MAX_ERROR_MESSAGE + 100);
  });

  it('lists at most MAX_ERROR_ITEMS violations and counts the rest', () => {
    const violations = Array.from({ length: 10_000 }, (_, i) => ({ pointer: `/f${i}`, rule: 'additionalProperties', message: `unknown field /f${i}` }));
    const body = new ProductOsError('invalid_input', 'x', { violations }).toBody() as { details: { violations: unknown[]; violationsOmitted: number } };
    assert.equal(body.details.violations.length, MAX_ERROR_ITEMS);
    assert.equal(body.details.violationsOmitted, 10_000 - MAX_ERROR_ITEMS);
    assert.ok(JSON.stringify(body).length < 4096);
  });
});
