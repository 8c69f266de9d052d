import assert from 'node:assert/strict';
import { ROUTES, type RouteSpec } from '../../contracts/routes';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import { lazySerializers, validatorCompiler } from '../../backend/api/schema-compilers';

/**
 * The API compiles a route's schemas on its first request (backend/api/schema-compilers.ts), so a
 * schema that does not compile would no longer stop the backend at start: every route's is
 * compiled here instead, with the compilers the server uses.
 */
describe('API schema compilers', () => {
  const validate = validatorCompiler();
  // What the lazy serializers call on a route's first answer: Fastify's own compiler.
  const serializers = SerializerSelector()({}, {});

  for (const [name, route] of Object.entries(ROUTES) as Array<[string, RouteSpec]>) {
    it(`${name}: every part and answer compiles`, () => {
      for (const [httpPart, schema] of [['params', route.params], ['querystring', route.query], ['body', route.body]] as const) {
        if (!schema) continue;
        const check = validate({ schema, httpPart, method: route.method, url: route.path });
        // Called once to make it compile: a schema Ajv cannot compile throws here.
        check({});
      }
      for (const status of route.statuses ?? [200]) {
        if (!route.response) continue;
        const serialize = serializers({ schema: route.response, method: route.method, url: route.path, httpStatus: String(status) });
        assert.equal(typeof serialize, 'function');
      }
    });
  }

  it('a body check compiles on its first call and reports its errors where Fastify reads them', () => {
    const check = validate({ schema: ROUTES.createRun.body!, httpPart: 'body', method: 'POST', url: ROUTES.createRun.path });
    assert.equal(check.errors, null, 'nothing checked yet');
    assert.equal(check({ tool: 'system.ping', input: {}, unexpected: 1 }), false);
    const errors: unknown = check.errors;
    assert.ok(Array.isArray(errors) && errors.length > 0);
    assert.equal(check({ tool: 'system.ping', input: {} }), true);
  });

  it('a route answer is serialized by its schema on first use', () => {
    const serialize = lazySerializers.compilersFactory!.buildSerializer!({}, {})({ schema: ROUTES.listRuns.response!, method: 'GET', url: ROUTES.listRuns.path, httpStatus: '200' });
    // Fields the schema does not name are left out, as Fastify's compiled serializers do.
    assert.deepEqual(JSON.parse(serialize({ runs: [], nextCursor: null, secret: 'x' })), { runs: [], nextCursor: null });
  });

  it('a query check converts text to the schema types before checking', () => {
    const check = validate({ schema: ROUTES.listRuns.query!, httpPart: 'querystring', method: 'GET', url: ROUTES.listRuns.path });
    assert.deepEqual(check({ limit: '10' }), { value: { limit: 10 } });
    assert.equal(check({ limit: 'ten' }), false);
    assert.ok(Array.isArray(check.errors) && check.errors.length > 0);
  });
});
