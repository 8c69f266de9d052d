import assert from 'node:assert/strict';
import { ModelOutputError } from '../../backend/llm/schema-output';
import type { JsonSchema } from '../../contracts/json-schema';
import { ScriptedLlm } from '../helpers/scripted-llm';

/** The test model answers as a real provider would: what the schema refuses never reaches the tool. */
describe('ScriptedLlm checks its answers as the real providers do (backend/llm/schema-output)', () => {
  const schema = { type: 'object', additionalProperties: false, required: ['title'], properties: { title: { type: 'string', maxLength: 10 } } } as JsonSchema;
  const ask = (llm: ScriptedLlm) => llm.generate({ messages: [{ role: 'user', content: 'a title please' }], schema });

  it('a scripted {json} answer the schema refuses is an invalid_output error naming the rule, with its tokens, not a value', async () => {
    const llm = new ScriptedLlm([{ json: { title: 'far too long for it', extra: 1 } }]);
    await assert.rejects(ask(llm), (err: unknown) => {
      assert.ok(err instanceof ModelOutputError, String(err));
      assert.equal(err.code, 'invalid_output');
      assert.match(err.message, /does not match the schema: .*\/title maxLength/);
      assert.doesNotMatch(err.message, /far too long/, 'the answer is not quoted');
      assert.ok(err.usage.completionTokens > 0);
      return true;
    });
  });

  it('text that is not JSON is refused the same way; a valid answer comes back parsed', async () => {
    await assert.rejects(ask(new ScriptedLlm(['Sure! {title:'])), (err: unknown) => err instanceof ModelOutputError && /not JSON/.test(err.message));
    assert.deepEqual((await ask(new ScriptedLlm([{ json: { title: 'Short' } }]))).json, { title: 'Short' });
    assert.deepEqual((await ask(new ScriptedLlm(['{"title":"Also"}']))).json, { title: 'Also' });
  });

  it('without a schema the text is returned as it is, unchecked', async () => {
    const r = await new ScriptedLlm(['free text']).generate({ messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(r.text, 'free text');
    assert.equal(r.json, undefined);
  });
});
