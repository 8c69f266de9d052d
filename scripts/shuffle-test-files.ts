/**
 * Prints the test files (*.test.ts) under the folders given, one a line, in an order shuffled from a
 * seed: TEST_SEED when set (to reproduce an order), else a new random one. The seed goes to
 * stderr, so a failing order can be run again exactly. No file may rely on another having run
 * first; shuffling is how `npm test` keeps that true.
 *
 *   node --import tsx scripts/shuffle-test-files.ts test/unit test/integration …
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { seededRandom } from '../common/seeded-random';

const raw = process.env.TEST_SEED;
if (raw !== undefined && raw !== '' && !/^\d{1,9}$/.test(raw)) {
  process.stderr.write(`TEST_SEED must be a whole number (0..999999999), not "${raw}"\n`);
  process.exit(2);
}
const seed = raw ? Number(raw) : Math.floor(Math.random() * 1e9);

// The same seed gives the same order on every machine.
const random = seededRandom(seed);

// Sorted first, so the order depends on the seed only, not on how the file system lists them.
const dirs = process.argv.slice(2);
const missing = dirs.filter((d) => !fs.existsSync(d) || !fs.statSync(d).isDirectory());
if (missing.length > 0) {
  process.stderr.write(`not a folder: ${missing.join(', ')}\n`);
  process.exit(2);
}
const files = dirs
  .flatMap((d) => fs.readdirSync(d, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.test.ts')).map((f) => path.join(d, f)))
  .filter((f) => !f.split(path.sep).includes('node_modules'))
  .sort();
if (files.length === 0) {
  process.stderr.write(`no *.test.ts file under ${dirs.join(' ')}\n`);
  process.exit(2);
}
for (let i = files.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [files[i], files[j]] = [files[j], files[i]];
}
process.stderr.write(`test files in a shuffled order: TEST_SEED=${seed} (run again in this order with TEST_SEED=${seed} npm test)\n`);
process.stdout.write(`${files.join('\n')}\n`);
