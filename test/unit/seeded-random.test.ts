import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { seededRandom } from '../../common/seeded-random';

const ROOT = path.join(__dirname, '..', '..');
/** mulberry32's step constant: a second copy of the generator would carry it. */
const STEP = ['0x6d2b', '79f5'].join('');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name.startsWith('.')) return [];
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : /\.(ts|mts|cts|js|mjs|cjs)$/.test(e.name) ? [p] : [];
  });
}

describe('seeded random (common/seeded-random)', () => {
  it('is mulberry32: the published sequence for seed 1, so seeds recorded before still reproduce the same data and test order', () => {
    const r = seededRandom(1);
    assert.deepEqual([r(), r(), r()], [0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
  });

  it('gives numbers in [0, 1), the same for the same seed and others for another', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const xs = Array.from({ length: 1000 }, () => a());
    assert.deepEqual(xs, Array.from({ length: 1000 }, () => b()));
    assert.notDeepEqual(xs.slice(0, 10), Array.from({ length: 10 }, () => c()));
    assert.ok(xs.every((x) => x >= 0 && x < 1));
  });

  it('is the only copy of the generator in the project', () => {
    const copies = ['backend', 'common', 'contracts', 'extension', 'registry', 'scripts', 'test', 'webviews', 'workers']
      .flatMap((d) => sources(path.join(ROOT, d)))
      .filter((f) => fs.readFileSync(f, 'utf8').toLowerCase().includes(STEP))
      .map((f) => path.relative(ROOT, f));
    assert.deepEqual(copies, [path.join('common', 'seeded-random.ts')]);
  });
});
