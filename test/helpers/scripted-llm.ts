import type { GenerateRequest, GenerateResult, LlmProvider } from '../../backend/llm/provider';

/**
 * A provider whose answers a test writes in advance: each `generate` takes the next reply
 * (a string, a JSON value, or a function of the request). It counts tokens as characters/4 so
 * usage rows have numbers, and keeps the requests so a test can look at what was asked.
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
    return {
      text,
      json: req.schema === undefined ? undefined : typeof reply === 'string' ? JSON.parse(reply) : reply.json,
      usage: { provider: this.provider, model: this.model, promptTokens: Math.ceil(promptChars / 4), completionTokens: Math.ceil(text.length / 4), durationMs: 1 },
    };
  }
}
