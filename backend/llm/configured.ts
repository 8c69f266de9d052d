import * as path from 'node:path';
import type { LlmProvider } from './provider';
import type { LlmConfig } from './llm-settings';
import { OllamaProvider } from './ollama';
import { OpenAiCompatibleProvider } from './openai-compatible';
import { LlamaCppProvider } from './llama-cpp';
import { LlamaCppWorkerProvider, type LlmWorkerOptions } from './llm-worker';
import { ProductOsError } from '../errors';

/**
 * The configured model, opened on first use (a llama.cpp model or its worker container costs
 * memory and seconds; a backend that never calls a model never pays) and closed with the
 * backend. `get()` is what the run engine hands to ExecutionContext.llm().
 */
export class ConfiguredLlm {
  private provider?: LlmProvider;

  constructor(
    private readonly config: LlmConfig,
    private readonly worker: Pick<LlmWorkerOptions, 'docker' | 'labels'> = {},
  ) {}

  async get(): Promise<LlmProvider> {
    this.provider ??= this.create();
    return this.provider;
  }

  private create(): LlmProvider {
    const c = this.config;
    switch (c.provider) {
      case 'ollama':
      case 'openai-compatible': {
        if (!c.url) throw new ProductOsError('not_configured', `PRODUCT_OS_LLM_PROVIDER is ${c.provider}, which needs PRODUCT_OS_LLM_URL (the server on this machine)`);
        if (!c.model) throw new ProductOsError('not_configured', `PRODUCT_OS_LLM_MODEL is not set: name the model ${c.provider === 'ollama' ? 'Ollama' : 'the server'} should run (for example qwen2.5:7b-instruct)`);
        return c.provider === 'ollama' ? new OllamaProvider({ url: c.url, model: c.model }) : new OpenAiCompatibleProvider({ url: c.url, model: c.model });
      }
      case 'llama.cpp':
      case 'llama.cpp-worker': {
        if (!c.model || !c.model.toLowerCase().endsWith('.gguf')) throw new ProductOsError('not_configured', `PRODUCT_OS_LLM_PROVIDER is ${c.provider}, which needs PRODUCT_OS_LLM_MODEL to name a .gguf file in the models folder (PRODUCT_OS_MODELS)`);
        const file = path.resolve(c.modelsDir, c.model);
        if (path.relative(path.resolve(c.modelsDir), file).startsWith('..')) throw new ProductOsError('not_configured', `PRODUCT_OS_LLM_MODEL must name a file inside the models folder (PRODUCT_OS_MODELS, ${c.modelsDir})`);
        return c.provider === 'llama.cpp'
          ? new LlamaCppProvider({ modelPath: file, threads: c.threads, contextSize: c.contextSize })
          : new LlamaCppWorkerProvider({ modelsDir: c.modelsDir, modelFile: c.model, threads: c.threads, contextSize: c.contextSize, ...this.worker });
      }
      case null:
        throw new ProductOsError('not_configured', 'no local model is configured: set PRODUCT_OS_LLM_URL (Ollama or an OpenAI-compatible server on this machine) and PRODUCT_OS_LLM_MODEL, or PRODUCT_OS_LLM_MODEL alone to a GGUF file in the models folder');
    }
  }

  async close(): Promise<void> {
    const p = this.provider;
    this.provider = undefined;
    await p?.close?.();
  }
}
