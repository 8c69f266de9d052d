import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { buildInput, checkPicked, initialText, parseText, planPrompts, violationLines, type Prompt } from '../../../extension/tools/schema-prompts';
import type { JsonSchemaObject as JsonSchema } from '../../../contracts/json-schema';

const registry = parse(fs.readFileSync(path.join(__dirname, '../../../registry/tool-registry.yaml'), 'utf8')) as { tools: Record<string, { inputSchema: JsonSchema }> };
const schemaOf = (tool: string) => registry.tools[tool].inputSchema;
const text = (p: Prompt | undefined) => {
  assert.ok(p && p.kind === 'text', `expected a text prompt, got ${p?.kind}`);
  return p;
};
const byField = (ps: Prompt[], field: string) => ps.find((p) => p.field === field);

describe('extension: schema → prompts', () => {
  it('asks required fields in order, offers optional ones, and flattens nested objects', () => {
    const plan = planPrompts(schemaOf('cloudrun.deploy_service'));
    assert.deepEqual(
      plan.required.map((p) => p.field),
      ['service_name', 'repo', 'ref', 'env', 'region'],
    );
    const optional = plan.optional.map((p) => p.field);
    assert.ok(optional.includes('build.dockerfile_path'));
    assert.ok(optional.includes('deploy.min_instances'));
    assert.ok(optional.includes('deploy.allow_unauthenticated'));
    assert.ok(optional.includes('env_vars'));
  });

  it('turns enums and booleans into pick lists, with the default marked', () => {
    const plan = planPrompts(schemaOf('cloudrun.deploy_service'));
    const env = byField(plan.required, 'env');
    assert.equal(env?.kind, 'pick');
    assert.deepEqual(env?.kind === 'pick' && env.options.map((o) => o.value), ['dev', 'staging', 'prod']);
    const allow = byField(plan.optional, 'deploy.allow_unauthenticated');
    assert.equal(allow?.kind, 'pick');
    assert.deepEqual(allow?.kind === 'pick' && allow.options.map((o) => o.value), [true, false]);
    assert.equal(allow?.default, false);
  });

  it('validates integers against their limits and names the field', () => {
    const maxSteps = text(byField(planPrompts(schemaOf('cards.run')).optional, 'max_steps'));
    assert.deepEqual(parseText(maxSteps, '40'), { ok: true, value: 40, set: true });
    assert.deepEqual(parseText(maxSteps, '0'), { ok: false, error: 'max_steps must be an integer from 1 to 200' });
    assert.deepEqual(parseText(maxSteps, '201'), { ok: false, error: 'max_steps must be an integer from 1 to 200' });
    assert.deepEqual(parseText(maxSteps, '2.5'), { ok: false, error: 'max_steps must be an integer from 1 to 200' });
    assert.deepEqual(parseText(maxSteps, 'abc'), { ok: false, error: 'max_steps must be an integer from 1 to 200' });
    assert.deepEqual(parseText(maxSteps, ''), { ok: true, value: undefined, set: false });
    assert.equal(initialText(maxSteps), '40');
  });

  it('enforces required fields, lengths and patterns', () => {
    const plan = planPrompts(schemaOf('cards.run'));
    const key = text(byField(plan.required, 'card_key'));
    assert.deepEqual(parseText(key, ''), { ok: false, error: 'card_key is required' });
    assert.deepEqual(parseText(key, 'pos-1'), { ok: false, error: 'card_key must match ^[A-Z][A-Z0-9]*-[0-9]+$' });
    assert.deepEqual(parseText(key, 'POS-1'), { ok: true, value: 'POS-1', set: true });
    const service = text(byField(planPrompts(schemaOf('cloudrun.rollback_service')).required, 'service_name'));
    assert.deepEqual(parseText(service, 'x'.repeat(64)), { ok: false, error: 'service_name must be at most 63 characters' });
  });

  it('skips fields the command already fills in', () => {
    const plan = planPrompts(schemaOf('cards.run'), { skip: ['card_key'] });
    assert.deepEqual(plan.required, []);
    assert.ok(!plan.optional.some((p) => p.field === 'card_key'));
  });

  it('makes a field optional when the object holding it is optional', () => {
    const plan = planPrompts({
      type: 'object',
      required: ['a'],
      properties: { a: { type: 'object', required: ['x'], properties: { x: { type: 'string' } } }, b: { type: 'object', required: ['y'], properties: { y: { type: 'string' } } } },
    });
    assert.deepEqual(plan.required.map((p) => p.field), ['a.x']);
    assert.deepEqual(plan.optional.map((p) => p.field), ['b.y']);
  });

  it('reads JSON for maps and comma-separated lists for string arrays', () => {
    const envVars = text(byField(planPrompts(schemaOf('cloudrun.deploy_service')).optional, 'env_vars'));
    assert.equal(envVars.valueType, 'json');
    assert.deepEqual(parseText(envVars, '{"A":"1"}'), { ok: true, value: { A: '1' }, set: true });
    assert.deepEqual(parseText(envVars, '{"A":1}'), { ok: false, error: 'env_vars.A must be a string' });
    assert.deepEqual(parseText(envVars, '[1]'), { ok: false, error: 'env_vars must be a JSON object' });
    assert.equal((parseText(envVars, '{oops') as { ok: false; error: string }).error.startsWith('env_vars must be JSON'), true);

    const labels = text(planPrompts({ type: 'object', properties: { labels: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 5 }, maxItems: 2 } } }).optional[0]);
    assert.equal(labels.valueType, 'list');
    assert.deepEqual(parseText(labels, 'a, b'), { ok: true, value: ['a', 'b'], set: true });
    assert.deepEqual(parseText(labels, 'a, b, c'), { ok: false, error: 'labels takes at most 2 items' });
    assert.deepEqual(parseText(labels, 'toolong'), { ok: false, error: 'labels[0] must be at most 5 characters' });
  });

  it('offers arrays of enums as a multi-pick and checks the count', () => {
    const p = planPrompts({ type: 'object', required: ['days'], properties: { days: { type: 'array', items: { enum: ['mon', 'tue'] }, minItems: 1 } } }).required[0];
    assert.equal(p.kind, 'multipick');
    if (p.kind !== 'multipick') return;
    assert.equal(checkPicked(p, []), 'days is required');
    assert.equal(checkPicked(p, ['mon']), undefined);
  });

  it('handles nullable types and numbers with exclusive bounds', () => {
    const p = text(planPrompts({ type: 'object', properties: { ratio: { type: ['number', 'null'], exclusiveMinimum: 0, maximum: 1 } } }).optional[0]);
    assert.equal(p.valueType, 'number');
    assert.deepEqual(parseText(p, '0.5'), { ok: true, value: 0.5, set: true });
    assert.equal((parseText(p, '0') as { ok: false; error: string }).error, 'ratio must be greater than 0');
    assert.equal((parseText(p, '1.5') as { ok: false; error: string }).error, 'ratio must be a number of at most 1');
  });

  it('builds the nested input from presets and answers', () => {
    assert.deepEqual(
      buildInput({ card_key: 'POS-1' }, [
        { path: ['deploy', 'cpu'], value: '1' },
        { path: ['deploy', 'max_instances'], value: 3 },
        { path: ['commit'], value: false },
        { path: ['skipped'], value: undefined },
      ]),
      { card_key: 'POS-1', deploy: { cpu: '1', max_instances: 3 }, commit: false },
    );
  });

  it('produces prompts for every tool in the registry without throwing', () => {
    for (const [name, tool] of Object.entries(registry.tools)) {
      const plan = planPrompts(tool.inputSchema);
      for (const p of [...plan.required, ...plan.optional]) assert.ok(p.field.length > 0, `${name}: empty field`);
    }
  });

  it('names every violation of a backend invalid_input error', () => {
    assert.deepEqual(violationLines({ violations: [{ pointer: '/limit', message: 'must be <= 2000' }, { message: 'x' }] }), ['/limit: must be <= 2000', '/: x']);
    assert.deepEqual(violationLines(undefined), []);
  });
});
