import assert from 'node:assert/strict';
import { loadRegistry } from '../../registry/loader';
import { ExecutorRouter } from '../../backend/executors/router';
import { LocalExecutor } from '../../backend/executors/local';
import { executorName, parseExecutorUrls } from '../../backend/executors/executor-urls';
import { validateConfig, loadConfig } from '../../backend/config';
import type { Executor } from '../../backend/executors/executor';

const fake = (name: string): Executor => ({ availability: () => ({ available: true }), execute: async () => name });

describe('where a tool runs: local until its executor URL is configured', () => {
  const registry = loadRegistry();
  const funnel = registry.get('analytics.funnel_summary')!;
  const deploy = registry.get('cloudrun.deploy_service')!;
  const local = new LocalExecutor(new Map([['analytics.funnel_summary', async () => ({})]]));
  const docker = fake('docker');
  const http = fake('http');

  it('an http tool whose URL is a placeholder runs in-process, and the run says "local"', () => {
    const r = new ExecutorRouter({ local, docker, http });
    assert.equal(r.for(funnel), local);
    assert.equal(r.placement(funnel), 'local');
    assert.deepEqual(r.availability(funnel), { available: true });
  });

  it('once PRODUCT_OS_EXECUTOR_URLS names its executor, it goes to the remote executor, and the run names the URL', () => {
    const urls = parseExecutorUrls('analytics-executor=https://analytics-abc-uc.a.run.app/');
    assert.equal(typeof urls, 'object');
    const r = new ExecutorRouter({ local, docker, http }, urls as Record<string, string>);
    assert.equal(r.for(funnel), http);
    assert.equal(r.placement(funnel), 'https://analytics-abc-uc.a.run.app');
    // Another executor's tools are not moved by it.
    assert.equal(r.placement(deploy), 'local');
  });

  it('an http tool with neither a URL nor a local handler says which setting to set', () => {
    const r = new ExecutorRouter({ local: new LocalExecutor(new Map()), docker, http });
    const a = r.availability(deploy);
    assert.equal(a.available, false);
    assert.ok(!a.available && a.code === 'not_configured' && /PRODUCT_OS_EXECUTOR_URLS=deploy-executor=https/.test(a.reason), JSON.stringify(a));
  });

  it('names executors from the registry URLs, and refuses a malformed setting by name', () => {
    assert.equal(executorName('https://analytics-executor-REPLACE.a.run.app'), 'analytics-executor');
    assert.match(parseExecutorUrls('analytics-executor') as string, /not name=URL/);
    assert.match(parseExecutorUrls('analytics-executor=ftp://x') as string, /http/);
    assert.match(parseExecutorUrls('analytics-executor=https://analytics-executor-REPLACE.a.run.app') as string, /placeholder/);
    const report = validateConfig({ PRODUCT_OS_EXECUTOR_URLS: 'nope' }).find((s) => s.name === 'PRODUCT_OS_EXECUTOR_URLS')!;
    assert.equal(report.status, 'invalid');
    assert.match(report.message, /PRODUCT_OS_EXECUTOR_URLS must be a comma-separated list of executor=URL/);
    assert.deepEqual(loadConfig({ PRODUCT_OS_EXECUTOR_URLS: 'a-executor=http://127.0.0.1:9000, b=https://b.example' }).executorUrls, { 'a-executor': 'http://127.0.0.1:9000', b: 'https://b.example' });
  });
});
