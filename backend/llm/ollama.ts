import type { GenerateRequest, GenerateResult, LlmProvider } from './provider';
import { count, postLocalJson } from './local-http';
import { parseSchemaOutput } from './schema-output';
import { grammarSchema } from './grammar-schema';
import { ProductOsError } from '../errors';

/**
 * Ollama's chat API (`POST /api/chat`, not streamed). Token counts are its
 * `prompt_eval_count` and `eval_count`; a schema goes as `format`, Ollama's structured output.
 */
export class OllamaProvider implements LlmProvider {
  readonly provider = 'ollama';
  constructor(
    private readonly opts: { url: string; model: string; timeoutMs?: number; setting?: string },
  ) {}

  get model(): string {
    return this.opts.model;
  }

  async generate(req: GenerateRequest): Promise<GenerateResult> {
    const started = performance.now();
    const body = {
      model: this.opts.model,
      messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
      stream: false,
      // As a grammar can hold it (Ollama builds one, as llama.cpp does); the answer is checked against req.schema itself.
      ...(req.schema ? { format: grammarSchema(req.schema) } : {}),
      options: {
        ...(req.maxTokens !== undefined ? { num_predict: req.maxTokens } : {}),
        ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
        ...(req.seed !== undefined ? { seed: req.seed } : {}),
      },
    };
    const answer = (await postLocalJson(new URL('api/chat', withSlash(this.opts.url)).toString(), body, {
      setting: this.opts.setting ?? 'PRODUCT_OS_LLM_URL',
      source: 'Ollama',
      signal: req.signal,
      timeoutMs: this.opts.timeoutMs ?? 600_000,
    })) as { message?: { content?: unknown }; prompt_eval_count?: unknown; eval_count?: unknown; done_reason?: unknown };
    const text = answer?.message?.content;
    if (typeof text !== 'string') throw new ProductOsError('executor_failed', 'Ollama answered without message.content');
    const usage = { provider: this.provider, model: this.opts.model, promptTokens: count(answer.prompt_eval_count), completionTokens: count(answer.eval_count), durationMs: Math.round(performance.now() - started) };
    const json = req.schema ? parseSchemaOutput(text, req.schema, `Ollama model ${this.opts.model}`, answer.done_reason === 'length', usage) : undefined;
    return { text, json, usage };
  }
}

export function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
