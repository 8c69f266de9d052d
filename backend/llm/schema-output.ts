import { compileSchema } from '../../contracts/validator';
import type { JsonSchema } from '../../contracts/json-schema';
import { ProductOsError } from '../errors';
import type { LlmUsage } from './provider';

/** A model answer that is not the JSON asked for: the call's token counts travel with it (they were spent). */
export class ModelOutputError extends ProductOsError {
  constructor(
    message: string,
    readonly usage: LlmUsage,
    details?: unknown,
  ) {
    super('invalid_output', message, details);
  }
}

/**
 * The last word on a model's JSON, whatever the provider: the text is parsed and checked with
 * the process's one Ajv against the schema the caller asked for. A grammar (llama.cpp), a
 * `format` (Ollama) or a `response_format` (OpenAI-compatible servers) makes a valid answer
 * all but certain; this makes it certain. The error names the rule broken, never the text.
 */
export function parseSchemaOutput(text: string, schema: JsonSchema, source: string, stoppedAtLimit: boolean, usage: LlmUsage): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ModelOutputError(
      stoppedAtLimit
        ? `${source} stopped at its token limit before the JSON it was writing was complete (raise maxTokens, or ask for less)`
        : `${source} answered with text that is not JSON (${text.length} characters)`,
      usage,
    );
  }
  const violations = compileSchema(schema as object)(value);
  if (violations.length > 0) {
    throw new ModelOutputError(`${source} answered with JSON that does not match the schema: ${violations.map((v) => `${v.pointer || '/'} ${v.rule}`).join('; ')}`, usage, {
      violations: violations.map((v) => ({ pointer: v.pointer, rule: v.rule })),
    });
  }
  return value;
}
