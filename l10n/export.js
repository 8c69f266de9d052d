// Writes l10n/bundle.l10n.json: every message the extension passes to vscode.l10n.t (or to a
// `t` it was handed), English to English. Translators copy it to bundle.l10n.<lang>.json.
// Run `node l10n/export.js` after adding or changing a message; a unit test checks it is current.
const { readdirSync, readFileSync, writeFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');

function sourceFiles(dir = join(root, 'extension')) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out.sort();
}

/** The first argument of each `t('…')` / `l10n.t('…')` call that is a plain string literal. */
function messagesIn(text) {
  const found = [];
  const re = /(?:^|[^\w$.])(?:vscode\.l10n\.t|l10n\.t|t)\(\s*(['"])((?:\\.|(?!\1)[^\\\n])*)\1/g;
  // The literal is our own source: evaluating it is the exact way to read its escapes.
  for (const m of text.matchAll(re)) found.push(new Function(`return ${m[1]}${m[2]}${m[1]};`)());
  return found;
}

function collect(files = sourceFiles()) {
  const all = new Set();
  for (const f of files) for (const m of messagesIn(readFileSync(f, 'utf8'))) all.add(m);
  return Object.fromEntries([...all].sort().map((m) => [m, m]));
}

module.exports = { sourceFiles, messagesIn, collect };

if (require.main === module) {
  const bundle = collect();
  writeFileSync(join(root, 'l10n', 'bundle.l10n.json'), `${JSON.stringify(bundle, null, 2)}\n`);
  console.log(`l10n/bundle.l10n.json: ${Object.keys(bundle).length} messages`);
}
