import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ensureTinyGguf } from '../helpers/tiny-gguf';
import { LlamaCppEngine, LlamaCppProvider } from '../../backend/llm/llama-cpp';
import { OllamaProvider } from '../../backend/llm/ollama';
import { OpenAiCompatibleProvider } from '../../backend/llm/openai-compatible';
import { postLocalJson } from '../../backend/llm/local-http';
import { stepSchema } from '../../backend/cards/agent-loop';
import { FS_TOOLS, TERMINAL_TOOLS } from '../../contracts/tasks/card-agent';
import { localOnlyLookupVia } from '../../backend/local-endpoint';
import { llmServer } from '../../workers/llm-server/server';
import { ProductOsError } from '../../backend/errors';
import { compileSchema } from '../../contracts/validator';
import type { JsonSchema } from '../../contracts/json-schema';

/** Schemas of the kinds tools ask for: enums, bounded strings and numbers, arrays, nesting. */
const SCHEMAS: Record<string, JsonSchema> = {
  flat: { type: 'object', additionalProperties: false, required: ['title', 'priority', 'done'], properties: { title: { type: 'string', maxLength: 24 }, priority: { enum: ['low', 'medium', 'high'] }, done: { type: 'boolean' } } },
  nested: {
    type: 'object',
    additionalProperties: false,
    required: ['posts'],
    properties: {
      posts: { type: 'array', minItems: 1, maxItems: 3, items: { type: 'object', additionalProperties: false, required: ['channel', 'score'], properties: { channel: { enum: ['x', 'linkedin'] }, score: { type: 'integer', minimum: 0, maximum: 10 } } } },
    },
  },
};

/** A local HTTP server answering one route with what `answer` returns; records the bodies. */
async function fakeServer(route: string, answer: (body: any) => { status?: number; json: unknown }): Promise<{ url: string; bodies: any[]; close(): Promise<void> }> {
  const bodies: any[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      if (req.url !== route) {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(raw);
      bodies.push(body);
      const a = answer(body);
      res.writeHead(a.status ?? 200, { 'content-type': 'application/json' }).end(JSON.stringify(a.json));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, bodies, close: () => new Promise((r) => server.close(() => r())) };
}

describe('local model providers', function () {
  this.timeout(120_000);
  let modelPath: string;
  let llama: LlamaCppProvider;

  before(() => {
    modelPath = ensureTinyGguf();
    llama = new LlamaCppProvider({ modelPath, threads: 1, contextSize: 1024 });
  });
  after(() => llama.close());

  describe('llama.cpp in-process, on the generated tiny GGUF', () => {
    it('loads the model and generates: text, and token counts that match the limit and the prompt', async () => {
      const out = await llama.generate({ messages: [{ role: 'system', content: 'Answer briefly.' }, { role: 'user', content: 'Name three colours.' }], maxTokens: 24, temperature: 0 });
      assert.equal(out.usage.provider, 'llama.cpp');
      assert.equal(out.usage.model, 'tiny-llama-test.gguf');
      assert.equal(out.usage.completionTokens, 24, 'noise never stops on its own within 24 tokens: the limit is what ends it');
      // The prompt as the chat template lays it out: at least its own characters' worth of byte tokens.
      assert.ok(out.usage.promptTokens >= 'Answer briefly.Name three colours.'.length, `prompt tokens ${out.usage.promptTokens}`);
      assert.ok(out.text.length > 0);
      assert.ok(out.usage.durationMs >= 0);
    });

    it('is deterministic at temperature 0, and each call starts from an empty context', async () => {
      const req = { messages: [{ role: 'user' as const, content: 'same prompt' }], maxTokens: 16, temperature: 0 };
      const a = await llama.generate(req);
      await llama.generate({ messages: [{ role: 'user', content: 'something else in between' }], maxTokens: 8 });
      const b = await llama.generate(req);
      assert.equal(a.text, b.text);
      assert.equal(a.usage.promptTokens, b.usage.promptTokens, 'no cached prefix from the previous call');
    });

    for (const [name, schema] of Object.entries(SCHEMAS)) {
      it(`constrains output to the ${name} schema with a grammar, and the JSON validates (several seeds)`, async () => {
        const check = compileSchema(schema as object);
        for (let seed = 1; seed <= 4; seed++) {
          const out = await llama.generate({ messages: [{ role: 'user', content: `seed ${seed}` }], schema, maxTokens: 400, temperature: 0.8, seed });
          assert.deepEqual(check(out.json), [], `seed ${seed}: ${JSON.stringify(out.json)}`);
          assert.deepEqual(JSON.parse(out.text), out.json);
        }
      });
    }

    it('the card agent\'s step schema (every sandbox tool, 4 MB file contents included) becomes a grammar llama.cpp accepts, and its answers validate', async () => {
      // llama.cpp refuses a repetition of 2000: the thought's maxLength of 2000 once made every step "Failed to parse grammar".
      const tools = Object.entries({ ...FS_TOOLS, ...TERMINAL_TOOLS }).map(([name, input]) => ({ name, description: name, inputSchema: JSON.parse(JSON.stringify(input)) }));
      const schema = stepSchema(tools);
      const check = compileSchema(schema as object);
      const roomy = new LlamaCppProvider({ modelPath, threads: 1, contextSize: 4096 });
      try {
        for (const seed of [1, 2, 3]) {
          const out = await roomy.generate({ messages: [{ role: 'user', content: 'go' }], schema, maxTokens: 1500, temperature: 0.8, seed });
          assert.deepEqual(check(out.json), [], `seed ${seed}`);
        }
      } finally {
        await roomy.close();
      }
    });

    it('a grammar cut short by maxTokens is an invalid_output error that does not quote the text', async () => {
      await assert.rejects(
        llama.generate({ messages: [{ role: 'user', content: 'x' }], schema: { type: 'object', required: ['a'], properties: { a: { type: 'string', minLength: 200 } } }, maxTokens: 5 }),
        (err: ProductOsError) => err.code === 'invalid_output' && /token limit/.test(err.message) && !err.message.includes('"a"'),
      );
    });

    it('refuses a missing model file as not_configured, naming the file', async () => {
      const p = new LlamaCppProvider({ modelPath: `${modelPath}.missing.gguf`, threads: 1 });
      await assert.rejects(p.generate({ messages: [{ role: 'user', content: 'x' }], maxTokens: 1 }), (err: ProductOsError) => err.code === 'not_configured' && err.message.includes('.missing.gguf'));
      await p.close();
    });

    it('close waits for the calls already queued, which run on the loaded model, and leaves no model loaded', async () => {
      const engine = new LlamaCppEngine({ modelPath, threads: 1, contextSize: 1024 });
      const held = () => (engine as unknown as { opened?: Promise<unknown> }).opened;
      const first = engine.complete({ messages: [{ role: 'user', content: 'one' }], maxTokens: 4 });
      const second = engine.complete({ messages: [{ role: 'user', content: 'two' }], maxTokens: 4 });
      await engine.close();
      assert.equal((await first).completionTokens, 4);
      assert.equal((await second).completionTokens, 4);
      assert.equal(held(), undefined, 'a queued call loaded the model again after close, and nothing frees that copy');
    });

    it('needs threads set explicitly (a positive integer)', () => {
      assert.throws(() => new LlamaCppEngine({ modelPath, threads: 0 }), /threads/);
    });
  });

  describe('OpenAI-compatible, against the LLM worker server (in-process here, in a container in llm-worker-docker.test.ts)', () => {
    let engine: LlamaCppEngine;
    let server: http.Server;
    let url: string;
    before(async () => {
      engine = new LlamaCppEngine({ modelPath, threads: 1, contextSize: 1024 });
      server = llmServer(engine, 'tiny-llama-test.gguf');
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    });
    after(async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await engine.close();
    });

    it('generates with usage counts equal to what llama.cpp counted in-process', async () => {
      const p = new OpenAiCompatibleProvider({ url, model: 'tiny-llama-test.gguf' });
      const req = { messages: [{ role: 'user' as const, content: 'count me' }], maxTokens: 12, temperature: 0 };
      const remote = await p.generate(req);
      const local = await llama.generate(req);
      assert.equal(remote.usage.provider, 'openai-compatible');
      assert.equal(remote.usage.completionTokens, 12);
      assert.equal(remote.usage.promptTokens, local.usage.promptTokens);
      assert.equal(remote.text, local.text);
    });

    it('sends the schema as response_format json_schema and gets JSON that validates', async () => {
      const p = new OpenAiCompatibleProvider({ url, model: 'tiny-llama-test.gguf' });
      const out = await p.generate({ messages: [{ role: 'user', content: 'json please' }], schema: SCHEMAS.nested, maxTokens: 400, seed: 3, temperature: 0.7 });
      assert.deepEqual(compileSchema(SCHEMAS.nested as object)(out.json), []);
    });
  });

  describe('Ollama (/api/chat), against a local stand-in server', () => {
    it('sends messages, format (the schema) and options; reads prompt_eval_count and eval_count', async () => {
      const srv = await fakeServer('/api/chat', () => ({ json: { message: { role: 'assistant', content: '{"title":"ok","priority":"low","done":true}' }, prompt_eval_count: 31, eval_count: 9, done: true, done_reason: 'stop' } }));
      try {
        const p = new OllamaProvider({ url: srv.url, model: 'qwen2.5:0.5b' });
        const out = await p.generate({ messages: [{ role: 'user', content: 'hi' }], schema: SCHEMAS.flat, maxTokens: 50, seed: 7, temperature: 0 });
        assert.deepEqual(out.json, { title: 'ok', priority: 'low', done: true });
        assert.deepEqual({ p: out.usage.promptTokens, c: out.usage.completionTokens, provider: out.usage.provider, model: out.usage.model }, { p: 31, c: 9, provider: 'ollama', model: 'qwen2.5:0.5b' });
        const sent = srv.bodies[0];
        assert.equal(sent.stream, false);
        assert.deepEqual(sent.format, SCHEMAS.flat);
        assert.deepEqual(sent.options, { num_predict: 50, temperature: 0, seed: 7 });
      } finally {
        await srv.close();
      }
    });

    it('Ollama and OpenAI-compatible servers get the schema as a llama.cpp grammar can hold it; the answer is held to the schema itself', async () => {
      const schema: JsonSchema = { type: 'object', required: ['thought', 'n'], properties: { thought: { type: 'string', maxLength: 2000 }, n: { type: 'integer', minimum: 1, maximum: 3 } } };
      const ollama = await fakeServer('/api/chat', () => ({ json: { message: { content: `{"thought":"${'x'.repeat(2001)}","n":2}` }, prompt_eval_count: 1, eval_count: 1 } }));
      const openai = await fakeServer('/v1/chat/completions', () => ({ json: { choices: [{ message: { content: '{"thought":"ok","n":2}' } }], usage: { prompt_tokens: 1, completion_tokens: 1 } } }));
      try {
        await assert.rejects(new OllamaProvider({ url: ollama.url, model: 'm' }).generate({ messages: [{ role: 'user', content: 'x' }], schema }), (err: ProductOsError) => err.code === 'invalid_output' && /\/thought maxLength/.test(err.message));
        await new OpenAiCompatibleProvider({ url: `${openai.url}/v1`, model: 'm' }).generate({ messages: [{ role: 'user', content: 'x' }], schema });
        const asGrammar = { type: 'object', required: ['thought', 'n'], properties: { thought: { type: 'string' }, n: { enum: [1, 2, 3] } } };
        assert.deepEqual(ollama.bodies[0].format, asGrammar);
        assert.deepEqual(openai.bodies[0].response_format.json_schema.schema, asGrammar);
      } finally {
        await Promise.all([ollama.close(), openai.close()]);
      }
    });

    it('JSON that breaks the schema is invalid_output naming the rule, never quoting the text', async () => {
      const secret = 'SENSITIVE-COMPLETION-TEXT';
      const srv = await fakeServer('/api/chat', () => ({ json: { message: { content: `{"title":"${secret}","priority":"urgent","done":true}` }, prompt_eval_count: 1, eval_count: 1 } }));
      try {
        const p = new OllamaProvider({ url: srv.url, model: 'm' });
        await assert.rejects(p.generate({ messages: [{ role: 'user', content: 'x' }], schema: SCHEMAS.flat }), (err: ProductOsError) => {
          assert.equal(err.code, 'invalid_output');
          assert.match(err.message, /\/priority enum/);
          assert.ok(!JSON.stringify(err.toBody()).includes(secret));
          return true;
        });
      } finally {
        await srv.close();
      }
    });

    it('keys the model made up (an unknown field, a key of a map) are not named in the error either: they are its text', async () => {
      const secret = 'SENSITIVE-KEY-TEXT';
      const answers = [`{"title":"ok","priority":"low","done":true,"${secret}":1}`, `{"counts":{"${secret}":"many"}}`];
      const srv = await fakeServer('/api/chat', () => ({ json: { message: { content: answers.shift() }, prompt_eval_count: 1, eval_count: 1 } }));
      const map: JsonSchema = { type: 'object', required: ['counts'], properties: { counts: { type: 'object', additionalProperties: { type: 'integer' } } } };
      try {
        const p = new OllamaProvider({ url: srv.url, model: 'm' });
        for (const [schema, rule] of [[SCHEMAS.flat, /: \/\* additionalProperties$/], [map, /: \/counts\/\* type$/]] as const) {
          await assert.rejects(p.generate({ messages: [{ role: 'user', content: 'x' }], schema }), (err: ProductOsError) => {
            assert.equal(err.code, 'invalid_output');
            assert.match(err.message, rule);
            assert.ok(!JSON.stringify(err.toBody()).includes(secret), JSON.stringify(err.toBody()));
            return true;
          });
        }
      } finally {
        await srv.close();
      }
    });

    it('a server error is reported with its status and the setting, not its body', async () => {
      const srv = await fakeServer('/api/chat', (body) => ({ status: 500, json: { error: `failed on prompt ${body.messages[0].content}` } }));
      try {
        const p = new OllamaProvider({ url: srv.url, model: 'm' });
        await assert.rejects(p.generate({ messages: [{ role: 'user', content: 'PROMPT-TEXT' }] }), (err: ProductOsError) => /HTTP 500/.test(err.message) && /PRODUCT_OS_LLM_URL/.test(err.message) && !err.message.includes('PROMPT-TEXT'));
      } finally {
        await srv.close();
      }
    });
  });

  describe('local only, at call time', () => {
    for (const url of ['https://api.openai.com/v1', 'http://8.8.8.8:11434', 'http://models.example.com:8080/v1', 'ftp://127.0.0.1/', 'http://127.0.0.1.evil.com:11434', 'http://[::ffff:8.8.8.8]:8080/v1']) {
      it(`refuses ${url} before sending anything, naming the setting`, async () => {
        for (const p of [new OllamaProvider({ url, model: 'm' }), new OpenAiCompatibleProvider({ url, model: 'm' })]) {
          await assert.rejects(p.generate({ messages: [{ role: 'user', content: 'x' }] }), (err: ProductOsError) => err.code === 'not_configured' && /^PRODUCT_OS_LLM_URL /.test(err.message) && /no request was sent/.test(err.message));
        }
      });
    }

    it('a name is checked by what it resolves to when connecting: one public address refuses it, and nothing reaches even the local one', async () => {
      const srv = await fakeServer('/v1/chat/completions', () => ({ json: { choices: [{ message: { content: 'hi' } }], usage: { prompt_tokens: 1, completion_tokens: 1 } } }));
      const port = new URL(srv.url).port;
      const via = (addresses: string[]) => localOnlyLookupVia((_h, _o, cb) => cb(null, addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))));
      const post = (addresses: string[]) => postLocalJson(`http://llm:${port}/v1/chat/completions`, { messages: [] }, { setting: 'PRODUCT_OS_LLM_URL', source: 'test', timeoutMs: 10_000, lookup: via(addresses) });
      try {
        await assert.rejects(post(['127.0.0.1', '203.0.113.9']), (err: ProductOsError) => {
          assert.equal(err.code, 'not_configured');
          assert.match(err.message, /^PRODUCT_OS_LLM_URL names llm, which resolves to 203\.0\.113\.9: not this host.*; no request was sent$/);
          return true;
        });
        assert.equal(srv.bodies.length, 0, 'the request went to the local address of a name that also resolves elsewhere');
        // The same name resolving to this host only: the call goes through (so the refusal above is the check's).
        assert.deepEqual(await post(['127.0.0.1']), { choices: [{ message: { content: 'hi' } }], usage: { prompt_tokens: 1, completion_tokens: 1 } });
        assert.equal(srv.bodies.length, 1);
      } finally {
        await srv.close();
      }
    });

    it('the providers resolve names through that check (localhost reaches a server on 127.0.0.1)', async () => {
      const ollama = await fakeServer('/api/chat', () => ({ json: { message: { content: 'ok' }, prompt_eval_count: 2, eval_count: 1 } }));
      const openai = await fakeServer('/v1/chat/completions', () => ({ json: { choices: [{ message: { content: 'ok' } }], usage: { prompt_tokens: 2, completion_tokens: 1 } } }));
      try {
        const req = { messages: [{ role: 'user' as const, content: 'x' }] };
        assert.equal((await new OllamaProvider({ url: ollama.url.replace('127.0.0.1', 'localhost'), model: 'm' }).generate(req)).usage.promptTokens, 2);
        assert.equal((await new OpenAiCompatibleProvider({ url: `${openai.url.replace('127.0.0.1', 'localhost')}/v1`, model: 'm' }).generate(req)).usage.promptTokens, 2);
      } finally {
        await Promise.all([ollama.close(), openai.close()]);
      }
    });

    it('a redirect is never followed, even to another local server: the call fails naming the setting', async () => {
      const target = await fakeServer('/elsewhere', () => ({ json: {} }));
      const redirecting = http.createServer((_req, res) => res.writeHead(307, { location: `${target.url}/elsewhere` }).end());
      await new Promise<void>((r) => redirecting.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}`;
      try {
        for (const p of [new OllamaProvider({ url, model: 'm' }), new OpenAiCompatibleProvider({ url: `${url}/v1`, model: 'm' })]) {
          await assert.rejects(p.generate({ messages: [{ role: 'user', content: 'x' }] }), (err: ProductOsError) => err.code === 'executor_failed' && /redirect \(HTTP 307\).*never followed.*PRODUCT_OS_LLM_URL/.test(err.message));
        }
        assert.equal(target.bodies.length, 0, 'the redirect was followed');
      } finally {
        await new Promise<void>((r) => redirecting.close(() => r()));
        await target.close();
      }
    });

    it('a call the run cancels ends as cancelled, one the server never answers as timed_out, one cut off mid-answer as unavailable', async () => {
      const sockets = new Set<import('node:net').Socket>();
      const silent = http.createServer((req, res) => {
        if (req.url === '/half/api/chat') res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' }).write('{"message":');
        req.on('data', () => undefined);
        setTimeout(() => req.socket.destroy(), req.url === '/half/api/chat' ? 50 : 60_000).unref();
      });
      silent.on('connection', (s) => sockets.add(s));
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const req = { messages: [{ role: 'user' as const, content: 'x' }] };
      try {
        const run = new AbortController();
        const call = new OllamaProvider({ url, model: 'm' }).generate({ ...req, signal: run.signal });
        setTimeout(() => run.abort(), 50);
        await assert.rejects(call, (err: ProductOsError) => err.code === 'cancelled');
        await assert.rejects(new OllamaProvider({ url, model: 'm', timeoutMs: 200 }).generate(req), (err: ProductOsError) => err.code === 'timed_out' && /PRODUCT_OS_LLM_URL/.test(err.message));
        await assert.rejects(new OllamaProvider({ url: `${url}/half`, model: 'm' }).generate(req), (err: ProductOsError) => err.code === 'unavailable' && /ECONNRESET/.test(err.message));
      } finally {
        for (const s of sockets) s.destroy();
        await new Promise<void>((r) => silent.close(() => r()));
      }
    });

    it('accepts loopback, private addresses and single-label Docker names', async () => {
      const { localEndpointProblem } = await import('../../backend/local-endpoint');
      for (const ok of ['http://127.0.0.1:11434', 'http://[::1]:8080/v1', 'http://10.0.0.5:8000/v1', 'http://192.168.1.20:1234/v1', 'http://172.18.0.2:8080/v1', 'http://product-os-llm-abc:8080/v1', 'http://localhost:11434']) {
        assert.equal(localEndpointProblem(ok), null, ok);
      }
    });
  });
});
