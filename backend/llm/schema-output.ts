import { compileSchema } from '../../contracts/validator';
import type { JsonSchema } from '../../contracts/json-schema';
import { ProductOsError } from '../errors';

/**
 * The last word on a model's JSON, whatever the provider: the text is parsed and checked with
 * the process's one Ajv against the schema the caller asked for. A grammar (llama.cpp), a
 * `format` (Ollama) or a `response_format` (OpenAI-compatible servers) makes a valid answer
 * all but certain; this makes it certain. The error names the rule broken, never the text.
 */
export function parseSchemaOutput(text: string, schema: JsonSchema, source: string, stoppedAtLimit = false): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProductOsError(
      'invalid_output',
      stoppedAtLimit
        ? `${source} stopped at its token limit before the JSON it was writing was complete (raise maxTokens, or ask for less)`
        : `${source} answered with text that is not JSON (${text.length} characters)`,
    );
  }
  const violations = compileSchema(schema as object)(value);
  if (violations.length > 0) {
    throw new ProductOsError('invalid_output', `${source} answered with JSON that does not match the schema: ${violations.map((v) => `${v.pointer || '/'} ${v.rule}`).join('; ')}`, {
      violations: violations.map((v) => ({ pointer: v.pointer, rule: v.rule })),
    });
  }
  return value;
}
