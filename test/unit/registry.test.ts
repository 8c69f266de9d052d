import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { loadRegistry, RegistryError, DEFAULT_REGISTRY_FILE } from '../../registry/loader';
import { tempDir } from '../helpers/backend';
import { Card, CardFields } from '../../contracts/rest';

/** A schema as plain JSON with its keys sorted (TypeBox adds symbols; YAML keeps its own order). */
function normal(schema: unknown): unknown {
  const plain = JSON.parse(JSON.stringify(schema)) as unknown;
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'description').sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sort(x)])) : v;
  return sort(plain);
}

const V1_SEED_TOOLS = [
  'cloudrun.deploy_service',
  'cloudrun.get_service_status',
  'logs.tail',
  'brand.get_profile',
  'brand.update_profile',
  'analytics.funnel_summary',
  'analytics.top_drivers',
  'analytics.write_insight',
  'marketing.generate_channel_posts',
  'marketing.publish_missinglettr',
];
const LATER_TOOLS = [
  'ops.log_triage',
  'ops.gpu_report',
  'ops.service_map',
  'cards.run',
  'cloudrun.rollback_service',
  'analytics.cohort_retention',
  'analytics.anomaly_detect',
  'events.ingest',
  'system.ping',
  // The board's writes and the brand revert (issue 7: every write through the engine).
  'cards.create',
  'cards.move',
  'cards.update',
  'cards.archive',
  'cards.restore',
  'brand.revert_profile',
  // The Services view's roots (issue 11).
  'cloudrun.list_services',
  // The dry run of a Missinglettr publish (issue 11).
  'marketing.preview_missinglettr',
  // product-os blueprint apply (issue 11).
  'infra.apply_blueprint',
  'infra.plan_blueprint',
];

/** Writes a modified copy of the real registry and returns its path. */
function brokenCopy(mutate: (doc: any) => void): string {
  const doc = parse(fs.readFileSync(DEFAULT_REGISTRY_FILE, 'utf8'));
  mutate(doc);
  const file = path.join(tempDir(), 'tool-registry.yaml');
  fs.writeFileSync(file, stringify(doc));
  return file;
}

function expectRegistryError(file: string, check: (e: RegistryError) => void) {
  assert.throws(
    () => loadRegistry(file),
    (err: unknown) => {
      assert.ok(err instanceof RegistryError, `expected RegistryError, got ${String(err)}`);
      assert.equal(err.file, file);
      check(err);
      return true;
    },
  );
}

describe('registry', () => {
  it('loads the ten v1 seed tools and the tools later issues implement, every schema compiled', () => {
    const registry = loadRegistry();
    assert.deepEqual([...registry.tools.keys()].sort(), [...V1_SEED_TOOLS, ...LATER_TOOLS].sort());
    for (const tool of registry.tools.values()) {
      assert.equal(typeof tool.validateInput, 'function');
      assert.equal(tool.spec.inputSchema.type, 'object', `${tool.name} inputSchema`);
      assert.equal(tool.spec.outputSchema.type, 'object', `${tool.name} outputSchema`);
    }
  });

  it('keeps the seed risk levels and executor blocks', () => {
    const r = loadRegistry();
    const risk = (n: string) => r.get(n)!.spec.risk;
    assert.equal(risk('cloudrun.deploy_service'), 'medium');
    assert.equal(risk('brand.update_profile'), 'medium');
    assert.equal(risk('brand.get_profile'), 'low');
    assert.equal(risk('marketing.publish_missinglettr'), 'medium');
    assert.equal(risk('cloudrun.rollback_service'), 'high');
    assert.deepEqual(r.get('logs.tail')!.spec.executor, { kind: 'http', url: 'https://observability-executor-REPLACE.a.run.app', path: '/execute/logs/tail' });
  });

  it('validates inputs with JSON pointers, applies defaults, refuses unknown fields', () => {
    const ping = loadRegistry().get('system.ping')!;
    assert.deepEqual(ping.validateInput({ message: 'x' }), []);
    const [unknown] = ping.validateInput({ mesage: 'x' });
    assert.equal(unknown.pointer, '/mesage');
    assert.equal(unknown.rule, 'additionalProperties');
    const [wrongType] = ping.validateInput({ message: 5 });
    assert.equal(wrongType.pointer, '/message');
    assert.equal(wrongType.rule, 'type');

    const tail = loadRegistry().get('logs.tail')!;
    const input: Record<string, unknown> = { scope: 'service', limit: 10 };
    assert.deepEqual(tail.validateInput(input), []);
    assert.equal(input.since_seconds, 900, 'default applied');
    assert.equal(tail.validateInput({ scope: 'nowhere', limit: 10 })[0].pointer, '/scope');
  });

  it('validates outputs', () => {
    const ping = loadRegistry().get('system.ping')!;
    assert.deepEqual(ping.validateOutput({ pong: true, at: new Date().toISOString() }), []);
    assert.equal(ping.validateOutput({ pong: true, at: 'yesterday' })[0].pointer, '/at');
  });

  it('a tool missing a required field fails with the file, the tool and the pointer', () => {
    const file = brokenCopy((d) => delete d.tools['system.ping'].risk);
    expectRegistryError(file, (e) => {
      assert.equal(e.tool, 'system.ping');
      assert.equal(e.pointer, '/tools/system.ping/risk');
      assert.match(e.message, /system\.ping/);
    });
  });

  it('a bad risk level or executor is refused at its pointer', () => {
    expectRegistryError(brokenCopy((d) => (d.tools['logs.tail'].risk = 'extreme')), (e) => {
      assert.equal(e.pointer, '/tools/logs.tail/risk');
    });
    expectRegistryError(brokenCopy((d) => (d.tools['system.ping'].executor = { kind: 'docker', image: 'x' })), (e) => {
      assert.equal(e.tool, 'system.ping');
      assert.match(e.pointer, /^\/tools\/system\.ping\/executor/);
    });
  });

  it('a schema Ajv cannot compile is refused with its pointer', () => {
    const file = brokenCopy((d) => (d.tools['system.ping'].inputSchema.properties.message.type = 'strng'));
    expectRegistryError(file, (e) => {
      assert.equal(e.tool, 'system.ping');
      assert.match(e.pointer, /^\/tools\/system\.ping\/inputSchema/);
    });
  });

  it('a tool may declare the config its directives carry; a bad one is refused at its pointer', () => {
    const triage = loadRegistry().get('ops.log_triage')!;
    assert.equal(triage.spec.configSchema?.type, 'object');
    expectRegistryError(brokenCopy((d) => (d.tools['ops.gpu_report'].configSchema = { type: 'array' })), (e) => {
      assert.equal(e.pointer, '/tools/ops.gpu_report/configSchema/type');
    });
    expectRegistryError(brokenCopy((d) => (d.tools['ops.gpu_report'].configSchema.properties.alerts.type = 'objekt')), (e) => {
      assert.match(e.pointer, /^\/tools\/ops\.gpu_report\/configSchema/);
    });
  });

  it('a YAML syntax error names the line; a missing file says so', () => {
    const file = path.join(tempDir(), 'bad.yaml');
    fs.writeFileSync(file, 'version: 1\ntools:\n  a.b: [unclosed\n');
    expectRegistryError(file, (e) => assert.match(e.message, /YAML syntax error at line/));
    expectRegistryError(path.join(tempDir(), 'missing.yaml'), (e) => assert.match(e.message, /cannot read the file \(ENOENT\)/));
  });

  it('a tool name that is not dotted lowercase is refused', () => {
    const file = brokenCopy((d) => (d.tools.Ping = d.tools['system.ping']));
    expectRegistryError(file, (e) => assert.match(e.message, /propertyNames|pattern/));
  });

  it('keeps the cards.* tools equal to the card contract (contracts/rest.ts): the card they answer with and the fields they write', () => {
    const r = loadRegistry();
    const fields: Record<string, unknown> = { title: CardFields.title, description: CardFields.description, labels: CardFields.labels, priority: CardFields.priority, position: CardFields.position, if_version: CardFields.ifVersion, lane: CardFields.lane };
    for (const name of ['cards.create', 'cards.move', 'cards.update', 'cards.archive', 'cards.restore']) {
      const spec = r.get(name)!.spec;
      const out = spec.outputSchema as unknown as { properties: { card: unknown } };
      assert.deepEqual(normal(out.properties.card), normal(Card), `${name} answers with the contract's Card`);
      for (const [field, schema] of Object.entries((spec.inputSchema as unknown as { properties: Record<string, unknown> }).properties)) {
        if (field === 'card_key') continue;
        assert.deepEqual(normal(schema), normal(fields[field]), `${name} /${field} is the contract's card field`);
      }
    }
    // And it can fail: a card with a field the contract does not have is caught.
    const drifted = { ...(Card as object), properties: { ...Card.properties, colour: { type: 'string' } } };
    assert.notDeepEqual(normal(drifted), normal(Card));
  });
});

