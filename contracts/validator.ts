/**
 * The one JSON Schema validator of a Node process (backend, CLI, extension host tests, worker):
 * every schema the process checks values against — the registry's meta-schema and tool
 * schemas, directive configs, REST bodies and answers, contracts — is compiled by this Ajv,
 * once per schema object, and its failures come out as Violations (contracts/json-schema.ts:
 * a JSON pointer, the rule, a sentence). Webviews cannot run Ajv (their CSP forbids generated
 * code); they use `validate` from contracts/json-schema.ts.
 *
 * Options, for every schema alike: all errors reported (a person fixes them at once), formats
 * checked, no type coercion, `default`s filled in (a tool's input gets its defaults before it
 * runs), and `discriminator` understood (the registry meta-schema picks an executor by kind).
 */
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Violation } from './json-schema';
import { toViolations } from '../registry/validation-error';

const ajv = addFormats(new Ajv({ allErrors: true, strict: false, useDefaults: true, discriminator: true }));
const compiled = new WeakMap<object, ValidateFunction>();

/**
 * Ajv's own compiled function for a schema (cached like compileSchema), for a framework that
 * reads Ajv's `errors` itself: Fastify's validator compiler (backend/api/server.ts).
 */
export function compiledFunction(schema: object): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) compiled.set(schema, (fn = ajv.compile(schema)));
  return fn;
}

/**
 * A check for one schema, compiled on first use and kept for the life of the schema object.
 * `at` is where the checked value sits in what the caller received (`/config`), so pointers
 * and messages name the field as the caller sent it. Throws Ajv's error when the schema itself
 * is invalid (its message names the schema path).
 */
export function compileSchema(schema: object, at = ''): (value: unknown) => Violation[] {
  const validate = compiledFunction(schema);
  return (value) => {
    if (validate(value)) return [];
    const errors = at ? (validate.errors ?? []).map((e) => ({ ...e, instancePath: `${at}${e.instancePath}` })) : validate.errors;
    return toViolations(errors);
  };
}
