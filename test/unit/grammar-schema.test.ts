import { strict as assert } from 'node:assert';
import { grammarSchema } from '../../backend/llm/grammar-schema';
import type { JsonSchema } from '../../contracts/json-schema';

/**
 * The schema a grammar is built from (node-llama-cpp, Ollama's `format`, llama-server's
 * `response_format`). llama.cpp refuses a repetition of 2000 (and, in some versions, more), so
 * long strings and lists lose their bound there (Ajv still holds the answer to the original);
 * small integer ranges become enums the grammar can keep.
 */
describe('grammar schema (what a llama.cpp grammar is built from)', () => {
  it('drops a string bound or item count llama.cpp would refuse, keeps the ones it can hold, everywhere in the schema', () => {
    const schema = {
      oneOf: [
        { type: 'object', properties: { content: { type: 'string', maxLength: 4_194_304 }, path: { type: 'string', minLength: 1, maxLength: 4096 }, title: { type: 'string', maxLength: 1000 }, thought: { type: 'string', maxLength: 2000 } } },
        { type: 'object', properties: { posts: { type: 'array', minItems: 3, maxItems: 3, items: { type: 'object', properties: { text: { type: 'string', maxLength: 3000 } } } }, many: { type: 'array', maxItems: 10_000 } } },
      ],
    } as JsonSchema;
    const before = JSON.stringify(schema);
    const out = grammarSchema(schema) as any;
    assert.deepEqual(out.oneOf[0].properties, { content: { type: 'string' }, path: { type: 'string', minLength: 1 }, title: { type: 'string', maxLength: 1000 }, thought: { type: 'string' } });
    assert.deepEqual(out.oneOf[1].properties.posts, { type: 'array', minItems: 3, maxItems: 3, items: { type: 'object', properties: { text: { type: 'string' } } } });
    assert.deepEqual(out.oneOf[1].properties.many, { type: 'array' });
    assert.equal(JSON.stringify(schema), before, 'the schema the answer is checked against is untouched');
  });

  it('spells a small integer range as an enum (up to 1001 values); a wider one stays as it is', () => {
    assert.deepEqual(grammarSchema({ type: 'integer', minimum: 1, maximum: 3 } as JsonSchema), { enum: [1, 2, 3] });
    assert.equal((grammarSchema({ type: 'integer', minimum: 1, maximum: 600 } as JsonSchema) as any).enum.length, 600);
    assert.deepEqual(grammarSchema({ type: 'integer', minimum: 1, maximum: 262_144 } as JsonSchema), { type: 'integer', minimum: 1, maximum: 262_144 });
  });
});
