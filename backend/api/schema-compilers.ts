import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifySchemaCompiler, FastifyServerOptions } from 'fastify';
import { Value } from '@sinclair/typebox/value';
import { compiledFunction } from '../../contracts/validator';

/**
 * How the API's route schemas become functions. Fastify compiles every route's validators and
 * serializers when the server gets ready; here each is compiled on its route's first request
 * instead (measured: ≈130 ms of a new backend's start, on the way to ready, after the store is
 * up). The schemas are the contracts' (contracts/routes.ts), compiled by their tests.
 */

type Validation = ReturnType<FastifySchemaCompiler<object>>;

/** A validator made on its first call; `.errors` (read by Fastify after a failed check) follows the real one's. */
function onFirstCall(compile: () => Validation): Validation {
  let fn: Validation | undefined;
  const call = ((data: unknown) => {
    fn ??= compile();
    const result = fn(data);
    call.errors = fn.errors;
    return result;
  }) as Validation;
  call.errors = null;
  return call;
}

/**
 * Every request part is checked by the process's one Ajv (contracts/validator.ts). Bodies are
 * validated strictly (no coercion: "5" is not a number, unknown fields are refused); query
 * strings and path parameters are text, so TypeBox first converts them to what their route's
 * schema wants ("10" to 10, one value to a list of one), then they are checked the same way.
 */
export function validatorCompiler(): FastifySchemaCompiler<object> {
  return ({ schema, httpPart }) => {
    if (httpPart === 'body') return onFirstCall(() => compiledFunction(schema) as Validation);
    return onFirstCall(() => {
      const validate = compiledFunction(schema);
      const check = (data: unknown) => {
        const value = Value.Convert(schema as Parameters<typeof Value.Convert>[0], data);
        const ok = validate(value);
        check.errors = validate.errors;
        return ok ? { value } : false;
      };
      check.errors = null as typeof validate.errors;
      return check as Validation;
    });
  };
}

/** Fastify's own serializer compiler (fast-json-stringify), each route's serializer made on first use. */
export const lazySerializers: NonNullable<FastifyServerOptions['schemaController']> = {
  compilersFactory: {
    buildSerializer(externalSchemas: unknown, serializerOpts: unknown) {
      const compile = SerializerSelector()(externalSchemas as never, serializerOpts as never);
      return (route: Parameters<typeof compile>[0]) => {
        let fn: ((data: unknown) => string) | undefined;
        return (data: unknown) => (fn ??= compile(route) as (data: unknown) => string)(data);
      };
    },
  },
};
