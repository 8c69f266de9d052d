import type { GenerateRequest, GenerateResult, LlmProvider } from './provider';
import { count, postLocalJson } from './local-http';
import { parseSchemaOutput } from './schema-output';
import { grammarSchema } from './grammar-schema';
import { withSlash } from './ollama';
import { ProductOsError } from '../errors';

/**
 * An OpenAI-compatible local server (llama.cpp's llama-server, vLLM, LM Studio, and the
 * Product OS LLM worker): `POST <base>/chat/completions`, where the base is the configured URL
 * (`http://127.0.0.1:8080/v1`). Token counts are its `usage`; a schema goes as
 * `response_format: {type: 'json_schema', …}`.
 */
export class OpenAiCompatibleProvider implements LlmProvider {
  constructor(
    private readonly opts: { url: string; model: string; timeoutMs?: number; setting?: string; provider?: string },
  ) {}

  get provider(): string {
    return this.opts.provider ?? 'openai-compatible';
  }

  get model(): string {
    return this.opts.model;
  }

  async generate(req: GenerateRequest): Promise<GenerateResult> {
    const started = performance.now();
    const body = {
      model: this.opts.model,
      messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
      stream: false,
      // As a grammar can hold it (llama-server and LM Studio build one); the answer is checked against req.schema itself.
      ...(req.schema ? { response_format: { type: 'json_schema', json_schema: { name: 'output', strict: true, schema: grammarSchema(req.schema) } } } : {}),
      ...(req.maxTokens !== undefined ? { max_tokens: req.maxTokens } : {}),
      ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
      ...(req.seed !== undefined ? { seed: req.seed } : {}),
    };
    const answer = (await postLocalJson(new URL('chat/completions', withSlash(this.opts.url)).toString(), body, {
      setting: this.opts.setting ?? 'PRODUCT_OS_LLM_URL',
      source: `the model server (${this.provider})`,
      signal: req.signal,
      timeoutMs: this.opts.timeoutMs ?? 600_000,
    })) as { choices?: Array<{ message?: { content?: unknown }; finish_reason?: unknown }>; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } };
    const choice = answer?.choices?.[0];
    const text = choice?.message?.content;
    if (typeof text !== 'string') throw new ProductOsError('executor_failed', `the model server (${this.provider}) answered without choices[0].message.content`);
    const usage = {
      provider: this.provider,
      model: this.opts.model,
      promptTokens: count(answer.usage?.prompt_tokens),
      completionTokens: count(answer.usage?.completion_tokens),
      durationMs: Math.round(performance.now() - started),
    };
    const json = req.schema ? parseSchemaOutput(text, req.schema, `model ${this.opts.model}`, choice?.finish_reason === 'length', usage) : undefined;
    return { text, json, usage };
  }
}
