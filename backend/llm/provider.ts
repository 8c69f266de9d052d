import type { JsonSchema } from '../../contracts/json-schema';

/**
 * One interface over every local model: llama.cpp (in a worker container or in-process),
 * Ollama and OpenAI-compatible local servers. What comes back beside the text is token
 * counts; nothing here keeps a prompt or a completion after the call returns.
 */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface GenerateRequest {
  messages: readonly ChatMessage[];
  /**
   * When set, the provider constrains generation to JSON valid against this schema (a
   * grammar in node-llama-cpp, `format` in Ollama, `response_format` for OpenAI-compatible
   * servers) and `json` holds the parsed value, already validated.
   */
  schema?: JsonSchema;
  maxTokens?: number;
  temperature?: number;
  seed?: number;
  signal?: AbortSignal;
}

export interface LlmUsage {
  provider: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  durationMs: number;
}

export interface GenerateResult {
  text: string;
  /** The parsed, schema-valid value when the request had a schema. */
  json?: unknown;
  usage: LlmUsage;
}

export interface LlmProvider {
  /** `llama.cpp`, `ollama`, `openai-compatible`, `scripted` … */
  readonly provider: string;
  readonly model: string;
  generate(req: GenerateRequest): Promise<GenerateResult>;
  close?(): Promise<void>;
}
