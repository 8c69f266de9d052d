import type { GenerateRequest, GenerateResult, LlmProvider } from '../../backend/llm/provider';
import { parseSchemaOutput } from '../../backend/llm/schema-output';

/**
 * A provider whose answers a test writes in advance: each `generate` takes the next reply
 * (a string, a JSON value, or a function of the request). It counts tokens as characters/4 so
 * usage rows have numbers, and keeps the requests so a test can look at what was asked. An
 * answer to a request with a schema is checked against it as the real providers check theirs.
 */
export type ScriptedReply = string | { json: unknown } | ((req: GenerateRequest) => string | { json: unknown });

export class ScriptedLlm implements LlmProvider {
  readonly provider = 'scripted';
  readonly requests: GenerateRequest[] = [];
  constructor(
    private readonly replies: ScriptedReply[],
    readonly model = 'scripted-model',
  ) {}

  async generate(req: GenerateRequest): Promise<GenerateResult> {
    req.signal?.throwIfAborted();
    this.requests.push(req);
    const next = this.replies.shift();
    if (next === undefined) throw new Error('ScriptedLlm: no reply left for this request');
    const reply = typeof next === 'function' ? next(req) : next;
    const text = typeof reply === 'string' ? reply : JSON.stringify(reply.json);
    const promptChars = req.messages.reduce((n, m) => n + m.content.length, 0);
    const usage = { provider: this.provider, model: this.model, promptTokens: Math.ceil(promptChars / 4), completionTokens: Math.ceil(text.length / 4), durationMs: 1 };
    // The real providers' own last check (schema-output.ts): an answer that is not JSON, or
    // not JSON the schema allows, is an invalid_output error that keeps its token counts and
    // never quotes the text. A scripted `{json}` goes through it too, so a test cannot hand a
    // tool an answer no real model could get past it.
    const json = req.schema === undefined ? undefined : parseSchemaOutput(text, req.schema, 'the scripted model', false, usage);
    return { text, json, usage };
  }
}
