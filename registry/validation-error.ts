import type { ErrorObject } from 'ajv';
import type { Violation } from '../contracts/json-schema';

// Declared once in contracts/json-schema.ts; re-exported for the backend modules that read them here.
export { describeViolations, type Violation } from '../contracts/json-schema';

/**
 * Ajv's errors as the rest of the product shows them. `additionalProperties` and `required`
 * point at the offending field itself, so "unknown field /patch/colour" reads naturally.
 */
export function toViolations(errors: ErrorObject[] | null | undefined): Violation[] {
  return (errors ?? []).map((e) => {
    const params = e.params as Record<string, unknown>;
    if (e.keyword === 'additionalProperties') {
      const field = `${e.instancePath}/${String(params.additionalProperty)}`;
      return { pointer: field, rule: 'additionalProperties', message: `unknown field ${field}` };
    }
    if (e.keyword === 'required') {
      const field = `${e.instancePath}/${String(params.missingProperty)}`;
      return { pointer: field, rule: 'required', message: `missing required field ${field}` };
    }
    const where = e.instancePath || '(root)';
    return { pointer: e.instancePath, rule: e.keyword, message: `${where} ${e.message ?? 'is invalid'}` };
  });
}
