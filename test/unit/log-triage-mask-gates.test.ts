import assert from 'node:assert/strict';
import { MASK_GATES } from '../../workers/tasks/log-triage/masker';
import { isNumberToken } from '../../workers/tasks/log-triage/preprocess';
import { maskTimestamps } from '../../workers/tasks/log-triage/timestamps';
import { generateCorpus } from '../fixtures/log-corpus';
import { seededRandom } from '../../common/seeded-random';

/**
 * The masker's hand-written gates stand for patterns: a gate that says "no" where its rule
 * would have matched changes the masking (and so the grouping). Each is held to the pattern
 * it replaced on the generated corpus and on random strings over the characters that matter.
 */

const UUID_GATE = /[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-/;
const MAC_GATE = /(?:[0-9a-fA-F]{2}[:-]){5}/;
const TLDS = 'com|net|org|edu|gov|mil|int|info|biz|name|pro|mobi|asia|aero|coop|jobs|tel|travel|io|co|ai|app|dev|cloud|online|site|tech|xyz|top|shop|club|live|local|localdomain|lan|internal|intranet|corp|home|arpa';
/** The host rule's pattern: wherever it matches, the TLD gate must say yes. */
const HOST = new RegExp(
  `(?<![\\w.@-])(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\\.)+(?:(?:${TLDS})(?::\\d{1,5})?|(?<=[a-zA-Z0-9-]\\.[a-zA-Z0-9-]+\\.)[a-z]{2}(?::\\d{1,5})?|[a-z]{2}:\\d{1,5})(?![\\w-]|\\.\\w)`,
);

function samples(): string[] {
  const out: string[] = [];
  for (const c of generateCorpus({ seed: 11, lines: 300 })) out.push(...c.lines);
  const rnd = seededRandom(7);
  const alphabet = 'aZ09f:-._ .comnetorgfr-:x1AbCdEf@/';
  for (let i = 0; i < 50_000; i++) {
    let s = '';
    const len = 1 + Math.floor(rnd() * 40);
    for (let j = 0; j < len; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
    out.push(s);
  }
  out.push('a1:b2:c3:d4:e5:f6', 'ab-cd-ef-12-34-56', '0123-4567-', 'x.example.com', 'mail.google.com:443', 'a.b.fr', 'abc.co-x', 'y.com1', 'main.py');
  return out;
}

describe('log triage: hand-written scanners agree with the patterns they replace', () => {
  const all = samples();
  it('the UUID and MAC gates say exactly what their patterns say', () => {
    for (const s of all) {
      assert.equal(MASK_GATES.hasHexDashHex(s), UUID_GATE.test(s), JSON.stringify(s));
      assert.equal(MASK_GATES.hasFivePairs(s), MAC_GATE.test(s), JSON.stringify(s));
    }
  });
  it('the top-level-domain gate says yes wherever the host rule matches, and no for file names', () => {
    let hosts = 0;
    for (const s of all) {
      if (!HOST.test(s)) continue;
      hosts++;
      assert.ok(MASK_GATES.hasTopLevelDomain(s), JSON.stringify(s));
    }
    assert.ok(hosts > 100, `only ${hosts} host names in the samples: the test would prove little`);
    for (const s of ['main.py', 'rpc.statd', 'file.txt', 'a.java']) assert.equal(MASK_GATES.hasTopLevelDomain(s), s === 'main.py', s);
  });

  it('a number-like header token is what `^(?:#?\\d+|0x[0-9a-fA-F]+|\\d+[:/]\\d+):?$` says', () => {
    const re = /^(?:#?\d+|0x[0-9a-fA-F]+|\d+[:/]\d+):?$/;
    const rnd = seededRandom(3);
    const alphabet = '0123x#:/aFX9';
    const tokens = ['', ':', '#', '#:', '0x', '0x:', '0X1f', '12', '12:', '#12:', '1/2', '1/2:', '#1/2', '1//2', '1::', '0x1F:', '00x1'];
    for (let i = 0; i < 100_000; i++) {
      let s = '';
      const len = Math.floor(rnd() * 8);
      for (let j = 0; j < len; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      tokens.push(s);
    }
    let numbers = 0;
    for (const t of tokens) {
      const expected = re.test(t);
      if (expected) numbers++;
      assert.equal(isNumberToken(t), expected, JSON.stringify(t));
    }
    assert.ok(numbers > 1000);
  });

  it('the timestamp gate says yes wherever a timestamp is masked (and no for a bare decimal)', () => {
    const pieces = ['1', '2', '0', '9', '12', '2015', '17', ':', '.', '-', '/', ' ', 'T', 'Z', ',', 'Jan', 'Sept', 'Mon', '+02:00', 'UTC', '1445412345', '081109', 'x'];
    const rnd = seededRandom(5);
    const texts = [...all];
    for (let i = 0; i < 100_000; i++) {
      let t = '';
      const n = 1 + Math.floor(rnd() * 9);
      for (let j = 0; j < n; j++) t += pieces[Math.floor(rnd() * pieces.length)];
      texts.push(t);
    }
    let stamps = 0;
    for (const t of texts) {
      if (maskTimestamps(t, '<*>') === t) continue;
      stamps++;
      assert.ok(MASK_GATES.maybeTimestamp(t), JSON.stringify(t));
    }
    assert.ok(stamps > 1000, `only ${stamps} timestamps in the samples`);
    assert.equal(MASK_GATES.maybeTimestamp('took 0.25 ms'), false);
  });
});
