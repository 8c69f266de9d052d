import assert from 'node:assert/strict';
import { redact } from '../../common/redact';
import { shapeOf } from '../../backend/shape';
import { applyMergePatch } from '../../backend/merge-patch';
import { localEndpointProblem } from '../../backend/local-endpoint';
import { loadConfig, validateConfig, ConfigError } from '../../backend/config';
import { needsApproval } from '../../backend/runs/policy';

describe('redaction (DEBUG_REDACTED_MODE)', () => {
  it('masks emails, keys, bearer tokens, IPs, container ids and home user names', () => {
    const out = redact(
      'user jane.doe@example.com from 10.1.2.3 used Bearer abcdefghijklmnop token=s3cr3tvalue key sk-abcdefghijklmnopqrstu in container 4f2a9c1b7d3e at /home/jane/project',
    );
    assert.doesNotMatch(out, /jane\.doe@example\.com|10\.1\.2\.3|abcdefghijklmnop|s3cr3tvalue|sk-abcdefghijklmnopqrstu|4f2a9c1b7d3e|\/home\/jane/);
    assert.match(out, /\[redacted-email\]/);
    assert.match(out, /\[redacted-ip\]/);
    assert.match(out, /\/home\/\[user\]\/project/);
  });
  it('leaves ordinary text alone', () => {
    assert.equal(redact('run finished in 120 ms with 3 templates'), 'run finished in 120 ms with 3 templates');
  });
});

describe('argument shapes for the audit log', () => {
  it('keeps keys and types, never values', () => {
    const shape = shapeOf({ profile_id: 'secret-id', patch: { voice: { tone: ['bold'] }, count: 3, ok: true, none: null } });
    assert.deepEqual(shape, { profile_id: 'string', patch: { voice: { tone: ['string'] }, count: 'number', ok: 'boolean', none: 'null' } });
    assert.doesNotMatch(JSON.stringify(shape), /secret-id|bold/);
  });
});

describe('JSON Merge Patch', () => {
  it('merges objects, replaces arrays, deletes on null, leaves inputs unchanged', () => {
    const target = { a: { b: 1, c: [1, 2] }, d: 'x' };
    const out = applyMergePatch(target, { a: { c: [3] }, d: null, e: true });
    assert.deepEqual(out, { a: { b: 1, c: [3] }, e: true });
    assert.deepEqual(target, { a: { b: 1, c: [1, 2] }, d: 'x' });
  });
});

describe('local-only LLM endpoints', () => {
  it('accepts this host, private networks and Docker service names', () => {
    for (const url of ['http://127.0.0.1:8080/v1', 'http://localhost:11434', 'http://10.0.0.5:8000', 'http://192.168.1.9', 'http://llm:8080', 'http://[::1]:8080', 'http://gpu-vm.internal:8000']) {
      assert.equal(localEndpointProblem(url), null, url);
    }
  });
  it('refuses public hosts and odd schemes', () => {
    assert.match(localEndpointProblem('https://api.openai.com/v1')!, /not this host/);
    assert.match(localEndpointProblem('http://8.8.8.8')!, /not this host/);
    assert.match(localEndpointProblem('ftp://127.0.0.1')!, /http or https/);
    assert.match(localEndpointProblem('not a url')!, /not a URL/);
  });
});

describe('configuration', () => {
  it('reports every setting as ok, missing or invalid with the reason', () => {
    const report = validateConfig({ PRODUCT_OS_PORT: '99999', DATABASE_URL: 'mysql://x', PRODUCT_OS_MEDIUM_RISK: 'approval' });
    const by = Object.fromEntries(report.map((r) => [r.name, r]));
    assert.equal(by.PRODUCT_OS_PORT.status, 'invalid');
    assert.match(by.PRODUCT_OS_PORT.message, /0 to 65535/);
    assert.equal(by.DATABASE_URL.status, 'invalid');
    assert.equal(by.DATABASE_URL.value, undefined, 'secrets are never echoed');
    assert.equal(by.PRODUCT_OS_MEDIUM_RISK.status, 'ok');
    assert.equal(by.PRODUCT_OS_TOKEN.status, 'missing');
  });
  it('refuses to load with an external LLM endpoint, naming the setting', () => {
    assert.throws(() => loadConfig({ PRODUCT_OS_LLM_URL: 'https://api.openai.com/v1' }), (e: unknown) => e instanceof ConfigError && /PRODUCT_OS_LLM_URL/.test(e.message));
  });
  it('defaults to 127.0.0.1, redacted debug mode on, medium risk automatic', () => {
    const c = loadConfig({});
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.redactedDebug, true);
    assert.equal(c.mediumRiskNeedsApproval, false);
    assert.equal(loadConfig({ DEBUG_REDACTED_MODE: 'false' }).redactedDebug, false);
  });
});

describe('policy', () => {
  it('high risk always waits; medium only when configured; low never', () => {
    assert.equal(needsApproval('high', { mediumRiskNeedsApproval: false }), true);
    assert.equal(needsApproval('medium', { mediumRiskNeedsApproval: false }), false);
    assert.equal(needsApproval('medium', { mediumRiskNeedsApproval: true }), true);
    assert.equal(needsApproval('low', { mediumRiskNeedsApproval: true }), false);
  });
});
