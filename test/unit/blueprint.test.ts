import { strict as assert } from 'node:assert';
import { parseBlueprint } from '../../backend/blueprint/load-file';
import { desiredService, diffService, formatChanges } from '../../backend/blueprint/diff';
import { ProductOsError } from '../../backend/errors';

const GOOD = `version: 1
region: europe-west1
services:
  - name: web
    image: ghcr.io/acme/web:1.0.0
    env:
      LOG_LEVEL: info
    secrets:
      DATABASE_URL: sm://acme-prod/db-url
    scaling:
      min_instances: 0
      max_instances: 3
`;

function refused(text: string): string {
  try {
    parseBlueprint(text, 'infra.yaml');
  } catch (err) {
    assert.ok(err instanceof ProductOsError);
    assert.equal(err.code, 'invalid_input');
    return err.message;
  }
  assert.fail('the blueprint was accepted');
}

describe('blueprint file', () => {
  it('reads a valid blueprint, filling the defaults', () => {
    const bp = parseBlueprint(GOOD, 'infra.yaml');
    assert.equal(bp.services[0].name, 'web');
    assert.equal(bp.env, 'dev');
  });

  it('names the file, the line and the JSON pointer of each problem, all at once', () => {
    const text = GOOD.replace('max_instances: 3', 'max_instances: lots').replace('image: ghcr.io/acme/web:1.0.0', 'image: ghcr.io/acme/web:1.0.0\n    replicas: 2');
    const message = refused(text);
    assert.match(message, /infra\.yaml:13: \/services\/0\/scaling\/max_instances: /);
    assert.match(message, /infra\.yaml:6: \/services\/0(\/replicas)?: .*replicas/);
  });

  it('refuses what the schema cannot say: duplicate names, min above max, a variable both plain and secret, a bad reference', () => {
    const text = `version: 1
services:
  - name: api
    image: a:1
    env: { TOKEN: x }
    secrets: { TOKEN: sm://acme-prod/token }
    scaling: { min_instances: 5, max_instances: 2 }
  - name: api
    image: a:2
    secrets: { KEY: sm://x/y }
`;
    const message = refused(text);
    assert.match(message, /infra\.yaml:8: \/services\/1\/name: service "api" is already declared at \/services\/0/);
    assert.match(message, /infra\.yaml:7: \/services\/0\/scaling\/min_instances: min_instances \(5\) is above max_instances \(2\)/);
    assert.match(message, /\/services\/0\/secrets\/TOKEN: TOKEN is both in env and in secrets/);
    assert.match(message, /\/services\/1\/secrets\/KEY: must be sm:\/\/PROJECT\/NAME/);
  });

  it('a secret value where a reference belongs is refused, and the value is not repeated', () => {
    const message = refused(GOOD.replace('sm://acme-prod/db-url', 'postgres://admin:hunter2@db/prod'));
    assert.match(message, /\/services\/0\/secrets\/DATABASE_URL/);
    assert.ok(!message.includes('hunter2'), message);
  });

  it('broken YAML names its line', () => {
    assert.match(refused('version: 1\nservices:\n  - name: web\n   image: [unclosed\n'), /^infra\.yaml:\d+: not valid YAML/);
  });
});

describe('blueprint diff', () => {
  const want = desiredService({ name: 'web', image: 'img:2', env: { A: '1', B: 'new' }, secrets: { S: 'sm://acme-prod/s/3' }, scaling: { max_instances: 5 } }, 'us-central1');

  it('a service the target does not have is created with every field', () => {
    const c = diffService(want, null);
    assert.equal(c.action, 'create');
    assert.deepEqual(c.fields.map((f) => f.field), ['image', 'env.A', 'env.B', 'secrets.S', 'max_instances']);
  });

  it('the same configuration is unchanged; options the blueprint does not declare are not compared', () => {
    const c = diffService(want, { service: 'web', region: 'us-central1', image: 'img:2', envVars: { A: '1', B: 'new' }, secretEnv: { S: 'sm://acme-prod/s/3' }, deploy: { max_instances: 5, cpu: '2' }, labels: {} });
    assert.equal(c.action, 'unchanged');
    assert.deepEqual(c.fields, []);
  });

  it('lists each difference; plain values are never shown, secret references are', () => {
    const c = diffService(want, { service: 'web', region: 'us-central1', image: 'img:1', envVars: { A: '1', B: 'old-secretish', C: 'gone' }, secretEnv: { S: 'sm://acme-prod/s/2' }, deploy: { max_instances: 3 }, labels: {} });
    assert.equal(c.action, 'update');
    assert.deepEqual(c.fields, [
      { field: 'image', change: 'change', from: 'img:1', to: 'img:2' },
      { field: 'env.B', change: 'change' },
      { field: 'env.C', change: 'remove' },
      { field: 'secrets.S', change: 'change', from: 'sm://acme-prod/s/2', to: 'sm://acme-prod/s/3' },
      { field: 'max_instances', change: 'change', from: '3', to: '5' },
    ]);
    const text = formatChanges([c]);
    assert.ok(!text.includes('old-secretish') && !text.includes('new'));
    assert.match(text, /~ update web \(us-central1\)\n {4}~ image: img:1 → img:2\n {4}~ env\.B \(value not shown\)/);
  });
});
