import type { GenerateRequest, GenerateResult, LlmProvider } from '../../backend/llm/provider';
import { ModelOutputError } from '../../backend/llm/schema-output';

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
    const usage = { provider: this.provider, model: this.model, promptTokens: Math.ceil(promptChars / 4), completionTokens: Math.ceil(text.length / 4), durationMs: 1 };
    let json: unknown;
    if (req.schema !== undefined) {
      if (typeof reply !== 'string') json = reply.json;
      else {
        // Like the real providers: text that is not JSON is an invalid_output error that keeps
        // its token counts (metered) and never quotes the text (a SyntaxError's message would).
        try {
          json = JSON.parse(reply);
        } catch {
          throw new ModelOutputError(`the scripted model answered with text that is not JSON (${text.length} characters)`, usage);
        }
      }
    }
    return { text, json, usage };
  }
}
