import * as os from 'node:os';
import * as path from 'node:path';
import { localEndpointProblem } from '../local-endpoint';
import type { Env, Setting } from '../config';

/**
 * The local-model settings, as /config/validate explains them. Which provider runs:
 * PRODUCT_OS_LLM_PROVIDER when set; otherwise an endpoint (PRODUCT_OS_LLM_URL) means Ollama
 * when its port is Ollama's (11434) and an OpenAI-compatible server otherwise, and a GGUF file
 * (PRODUCT_OS_LLM_MODEL ending in .gguf) means llama.cpp in the LLM worker container.
 */
export type LlmProviderKind = 'ollama' | 'openai-compatible' | 'llama.cpp-worker' | 'llama.cpp';
const KINDS: LlmProviderKind[] = ['ollama', 'openai-compatible', 'llama.cpp-worker', 'llama.cpp'];

export interface LlmConfig {
  /** null: no model configured (LLM tools answer not_configured). */
  provider: LlmProviderKind | null;
  url?: string;
  /** A model name (Ollama, OpenAI-compatible) or a GGUF file (llama.cpp), as set. */
  model?: string;
  modelsDir: string;
  threads: number;
  contextSize: number;
}

/** Half the cores, at least one: the library's default (all of them) starves a small shared machine. */
export function defaultThreads(): number {
  return Math.max(1, Math.floor(os.availableParallelism() / 2));
}

export const LLM_SETTINGS: Setting[] = [
  {
    name: 'PRODUCT_OS_LLM_PROVIDER',
    absent: 'chosen from the other settings: Ollama for a URL on port 11434, an OpenAI-compatible server for another URL, the llama.cpp worker container for a .gguf model',
    check: (v) => (KINDS.includes(v as LlmProviderKind) ? null : `must be one of ${KINDS.join(', ')}`),
  },
  { name: 'PRODUCT_OS_LLM_URL', absent: 'no LLM endpoint (a .gguf PRODUCT_OS_LLM_MODEL runs in the llama.cpp worker)', check: localEndpointProblem },
  {
    name: 'PRODUCT_OS_LLM_MODEL',
    absent: 'no local model: tools that need one answer not_configured',
    check: (v) => (v.trim().length > 0 && v.length <= 512 && !/[\u0000-\u001f]/.test(v) ? null : 'must be a model name or a .gguf file name (at most 512 characters)'),
  },
  { name: 'PRODUCT_OS_MODELS', absent: 'the models folder inside the data folder (<data>/models), mounted read-only into the LLM worker', check: (v) => (path.isAbsolute(v) ? null : 'must be an absolute path') },
  {
    name: 'PRODUCT_OS_LLM_THREADS',
    absent: `half the CPU cores, at least 1 (${defaultThreads()} here); set explicitly because llama.cpp's default of every core was measured hundreds of times slower on a small shared machine`,
    check: (v) => (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 256 ? null : 'must be an integer from 1 to 256'),
  },
  {
    name: 'PRODUCT_OS_LLM_CONTEXT',
    absent: '4096 tokens of context (or the model\'s own limit when smaller)',
    check: (v) => (/^\d+$/.test(v) && Number(v) >= 256 && Number(v) <= 1_048_576 ? null : 'must be an integer from 256 to 1048576'),
  },
];

export function llmConfig(env: Env, dataDir: string): LlmConfig {
  const url = env.PRODUCT_OS_LLM_URL || undefined;
  const model = env.PRODUCT_OS_LLM_MODEL || undefined;
  return {
    provider: (env.PRODUCT_OS_LLM_PROVIDER as LlmProviderKind | undefined) || inferProvider(url, model),
    url,
    model,
    modelsDir: env.PRODUCT_OS_MODELS || path.join(dataDir, 'models'),
    threads: env.PRODUCT_OS_LLM_THREADS ? Number(env.PRODUCT_OS_LLM_THREADS) : defaultThreads(),
    contextSize: env.PRODUCT_OS_LLM_CONTEXT ? Number(env.PRODUCT_OS_LLM_CONTEXT) : 4096,
  };
}

function inferProvider(url: string | undefined, model: string | undefined): LlmProviderKind | null {
  if (url) {
    try {
      return new URL(url).port === '11434' ? 'ollama' : 'openai-compatible';
    } catch {
      return 'openai-compatible';
    }
  }
  if (model?.toLowerCase().endsWith('.gguf')) return 'llama.cpp-worker';
  return null;
}
