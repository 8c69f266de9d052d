import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { loadRegistry, RegistryError, DEFAULT_REGISTRY_FILE, shippedCheckFile, writeShippedCheck } from '../../registry/loader';
import { tempDir } from '../helpers/backend';

/** The checked-registry cache that lets a later start skip the full check (issue 15: start fast). */
describe('registry cache', () => {
  let dir: string;
  let cacheDir: string;
  let file: string;

  beforeEach(() => {
    dir = tempDir('product-os-registry-cache-');
    cacheDir = path.join(dir, 'cache');
    file = path.join(dir, 'tool-registry.yaml');
    fs.copyFileSync(DEFAULT_REGISTRY_FILE, file);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cacheFiles = (): string[] => (fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir) : []);

  it('a full check writes one cache entry, and the next load of the same text reads it back', () => {
    const first = loadRegistry(file, { cacheDir });
    assert.deepEqual(cacheFiles().length, 1);
    // Prove the second load comes from the cache: drop a tool from the cached form only.
    const entry = path.join(cacheDir, cacheFiles()[0]);
    const cached = JSON.parse(fs.readFileSync(entry, 'utf8')) as { tools: Record<string, unknown> };
    delete cached.tools['system.ping'];
    fs.writeFileSync(entry, JSON.stringify(cached));
    const second = loadRegistry(file, { cacheDir });
    assert.ok(first.get('system.ping'));
    assert.equal(second.get('system.ping'), undefined);
    assert.equal(second.tools.size, first.tools.size - 1);
  });

  it('validators loaded from the cache judge inputs and outputs as the fully checked ones do', () => {
    const full = loadRegistry(file);
    loadRegistry(file, { cacheDir });
    const cached = loadRegistry(file, { cacheDir });
    for (const input of [{ message: 'hi' }, { message: 42 }, { unexpected: true }, {}]) {
      assert.deepEqual(cached.get('system.ping')!.validateInput(structuredClone(input)), full.get('system.ping')!.validateInput(structuredClone(input)));
    }
    assert.ok(cached.get('system.ping')!.validateInput({ message: 42 }).length > 0);
  });

  it('a changed registry text is checked in full again: a broken schema still stops the load, and the old entry goes', () => {
    loadRegistry(file, { cacheDir });
    const before = cacheFiles();
    const doc = parse(fs.readFileSync(file, 'utf8')) as { tools: Record<string, { inputSchema: unknown }> };
    doc.tools['system.ping'].inputSchema = { type: 'object', properties: { message: { type: 'no-such-type' } } };
    fs.writeFileSync(file, stringify(doc));
    assert.throws(() => loadRegistry(file, { cacheDir }), (err: unknown) => err instanceof RegistryError && err.tool === 'system.ping');
    assert.deepEqual(cacheFiles(), before, 'a registry that failed its check is never cached');
    doc.tools['system.ping'].inputSchema = { type: 'object', additionalProperties: false, properties: { message: { type: 'string' } } };
    fs.writeFileSync(file, stringify(doc));
    loadRegistry(file, { cacheDir });
    assert.equal(cacheFiles().length, 1);
    assert.notDeepEqual(cacheFiles(), before);
  });

  it('an unreadable cache entry costs a full check, not a failure', () => {
    loadRegistry(file, { cacheDir });
    fs.writeFileSync(path.join(cacheDir, cacheFiles()[0]), '{ half a file');
    const r = loadRegistry(file, { cacheDir });
    assert.ok(r.get('system.ping'));
    assert.doesNotThrow(() => JSON.parse(fs.readFileSync(path.join(cacheDir, cacheFiles()[0]), 'utf8')), 'the full check rewrote the entry');
  });
  it('the checked form the build ships beside the file is read back, even with no cache folder', () => {
    writeShippedCheck(file);
    const shipped = JSON.parse(fs.readFileSync(shippedCheckFile(file), 'utf8')) as { key: string; registry: { tools: Record<string, unknown> } };
    delete shipped.registry.tools['system.ping'];
    fs.writeFileSync(shippedCheckFile(file), JSON.stringify(shipped));
    const r = loadRegistry(file, { cacheDir });
    assert.equal(r.get('system.ping'), undefined, 'read from the shipped form');
    assert.deepEqual(cacheFiles(), [], 'nothing checked, nothing cached');
  });

  it('a shipped form of another text is ignored: an edited registry is checked in full', () => {
    writeShippedCheck(file);
    const doc = parse(fs.readFileSync(file, 'utf8')) as { tools: Record<string, { inputSchema: unknown }> };
    doc.tools['system.ping'].inputSchema = { type: 'object', properties: { message: { type: 'no-such-type' } } };
    fs.writeFileSync(file, stringify(doc));
    assert.throws(() => loadRegistry(file, { cacheDir }), (err: unknown) => err instanceof RegistryError && err.tool === 'system.ping');
  });

  it('the build refuses to ship a registry that fails its check', () => {
    const doc = parse(fs.readFileSync(file, 'utf8')) as { tools: Record<string, { inputSchema: unknown }> };
    doc.tools['system.ping'].inputSchema = { type: 'object', properties: { message: { type: 'no-such-type' } } };
    fs.writeFileSync(file, stringify(doc));
    assert.throws(() => writeShippedCheck(file), (err: unknown) => err instanceof RegistryError && err.tool === 'system.ping');
    assert.equal(fs.existsSync(shippedCheckFile(file)), false);
  });
});
