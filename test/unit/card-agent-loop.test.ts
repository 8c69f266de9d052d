import { strict as assert } from 'node:assert';
import type { AgentToolbox } from '../../backend/cards/agent-loop';
import { runAgentLoop, stepSchema } from '../../backend/cards/agent-loop';
import { ScriptedLlm } from '../helpers/scripted-llm';
import { compileSchema } from '../../contracts/validator';

/** A toolbox whose one tool echoes, recording every call. */
function echoBox(): AgentToolbox & { calls: Array<[string, Record<string, unknown>]> } {
  const calls: Array<[string, Record<string, unknown>]> = [];
  return {
    calls,
    tools: async () => [{ name: 'echo', description: 'Echo text.', inputSchema: { type: 'object', additionalProperties: false, required: ['text'], properties: { text: { type: 'string' } } } }],
    call: async (name, args) => {
      calls.push([name, args]);
      return { text: `echo: ${String(args.text)}`, isError: false };
    },
  };
}

const task = { key: 'PO-1', title: 'Do it', description: 'Please.' };

describe('card agent loop (scripted model)', () => {
  it('calls tools until the model says done, feeding each result back', async () => {
    const box = echoBox();
    const llm = new ScriptedLlm([{ json: { tool: 'echo', arguments: { text: 'a' } } }, (req) => {
      assert.match(req.messages[req.messages.length - 1]!.content, /Result of echo:\necho: a/);
      return { json: { done: true, summary: 'Echoed once.' } };
    }]);
    const steps: string[] = [];
    const out = await runAgentLoop({ llm, toolbox: box, task, maxSteps: 5, tokenBudget: 100_000, signal: new AbortController().signal, onStep: (r) => void steps.push(`${r.step}:${r.kind}:${r.tool ?? ''}`) });
    assert.deepEqual(out, { end: 'done', summary: 'Echoed once.', steps: 2, tokens: out.tokens });
    assert.deepEqual(box.calls, [['echo', { text: 'a' }]]);
    assert.deepEqual(steps, ['1:tool:echo', '2:done:']);
    assert.ok(out.tokens.prompt > 0);
  });

  it('constrains each step to a valid call of a listed tool or done', async () => {
    const schema = stepSchema(await echoBox().tools());
    const check = compileSchema(schema as object);
    assert.deepEqual(check({ tool: 'echo', arguments: { text: 'x' } }), []);
    assert.deepEqual(check({ done: true, summary: 'ok' }), []);
    assert.notDeepEqual(check({ tool: 'rm', arguments: {} }), [], 'an unknown tool');
    assert.notDeepEqual(check({ tool: 'echo', arguments: { txt: 'x' } }), [], 'arguments off the tool\'s schema');
    assert.notDeepEqual(check({ done: true }), [], 'done without a summary');
    const llm = new ScriptedLlm([{ json: { done: true, summary: 's' } }]);
    await runAgentLoop({ llm, toolbox: echoBox(), task, maxSteps: 1, tokenBudget: 10_000, signal: new AbortController().signal });
    assert.deepEqual(llm.requests[0]!.schema, schema);
  });

  it('says an invalid answer back to the model without calling a tool, its tokens counted (real providers report it as invalid_output)', async () => {
    const box = echoBox();
    const steps: string[] = [];
    const llm = new ScriptedLlm(['{"thought": "no tool"}', { json: { tool: 'nope', arguments: {} } }, 'not JSON at all', (req) => {
      const last = req.messages[req.messages.length - 1]!.content;
      assert.match(last, /Your last answer was not valid: the scripted model answered with text that is not JSON/);
      assert.doesNotMatch(last, /not JSON at all/, 'the answer is not quoted back');
      return { json: { done: true, summary: 'ok' } };
    }]);
    const out = await runAgentLoop({ llm, toolbox: box, task, maxSteps: 5, tokenBudget: 100_000, signal: new AbortController().signal, onStep: (r) => void steps.push(`${r.step}:${r.kind}`) });
    assert.equal(out.end, 'done');
    assert.equal(out.steps, 4);
    assert.deepEqual(steps, ['1:invalid', '2:invalid', '3:invalid', '4:done']);
    assert.match(llm.requests[1]!.messages.at(-1)!.content, /does not match the schema/);
    assert.equal(box.calls.length, 0);
    // Every answer's tokens count against the budget, the invalid ones too (scripted: characters / 4).
    const answers = ['{"thought": "no tool"}', JSON.stringify({ tool: 'nope', arguments: {} }), 'not JSON at all', JSON.stringify({ done: true, summary: 'ok' })];
    assert.equal(out.tokens.completion, answers.reduce((n, a) => n + Math.ceil(a.length / 4), 0));
  });

  it('stops at the step limit and at the token budget', async () => {
    const forever = () => ({ json: { tool: 'echo', arguments: { text: 'again' } } });
    const limited = await runAgentLoop({ llm: new ScriptedLlm([forever, forever, forever]), toolbox: echoBox(), task, maxSteps: 3, tokenBudget: 1_000_000, signal: new AbortController().signal });
    assert.equal(limited.end, 'step_limit');
    assert.equal(limited.steps, 3);
    const llm = new ScriptedLlm(Array.from({ length: 50 }, () => forever));
    const budget = await runAgentLoop({ llm, toolbox: echoBox(), task, maxSteps: 50, tokenBudget: 1000, signal: new AbortController().signal });
    assert.equal(budget.end, 'token_budget');
    assert.ok(budget.tokens.prompt + budget.tokens.completion >= 1000);
    assert.ok(budget.steps < 10, `stopped after ${budget.steps} steps`);
  });

  it('ends at once when the run is aborted', async () => {
    const ac = new AbortController();
    const llm = new ScriptedLlm([() => {
      ac.abort('cancel');
      return { json: { tool: 'echo', arguments: { text: 'x' } } };
    }, { json: { done: true, summary: 'never' } }]);
    await assert.rejects(runAgentLoop({ llm, toolbox: echoBox(), task, maxSteps: 5, tokenBudget: 100_000, signal: ac.signal }), (e) => e === 'cancel');
    assert.equal(llm.requests.length, 1);
  });
});
