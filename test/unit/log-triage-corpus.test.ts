import assert from 'node:assert/strict';
import { generateCorpus, generateLog, STYLES } from '../fixtures/log-corpus';
import { Drain, groupingAccuracy, labelsFromLineGroups, maskTokens, triageLines } from '../../workers/tasks/log-triage';

/**
 * Header styles the miner was not built on (test/fixtures/log-corpus), generated from
 * templates with realistic values and a seed. The miner has no setting per style: it gets
 * raw lines, the test scores the groups it returns against the templates that made them.
 */
describe('log triage: generated corpus of unseen header styles', function () {
  this.timeout(60_000);

  it('has at least ten header styles, each a deterministic function of its seed', () => {
    assert.ok(STYLES.length >= 10, `${STYLES.length} styles`);
    const a = generateLog(STYLES[0], { seed: 5, lines: 50 });
    const b = generateLog(STYLES[0], { seed: 5, lines: 50 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.lines, generateLog(STYLES[0], { seed: 6, lines: 50 }).lines);
  });

  for (const seed of [11, 12]) {
    it(`groups every style >= 0.90 and averages >= 0.95 (seed ${seed}, 2,000 lines each)`, () => {
      const scores: Record<string, number> = {};
      for (const log of generateCorpus({ seed, lines: 2000 })) {
        const r = triageLines(log.lines, { includeLineGroups: true, maxExamples: 1 });
        scores[log.style] = groupingAccuracy(labelsFromLineGroups(r.templates, log.lines.length), log.truth);
      }
      const low = Object.entries(scores).filter(([, s]) => s < 0.9);
      assert.deepEqual(low, [], `styles under 0.90: ${JSON.stringify(low)}`);
      const average = Object.values(scores).reduce((a, b) => a + b, 0) / Object.values(scores).length;
      assert.ok(average >= 0.95, `average ${average.toFixed(4)}: ${JSON.stringify(scores)}`);
    });
  }

  it('with no header trusted, degrades to at least Drain on the whole line, never to one group per line or one for all', () => {
    const ours: number[] = [];
    const drain: number[] = [];
    for (const log of generateCorpus({ seed: 13, lines: 1500 })) {
      const r = triageLines(log.lines, { includeLineGroups: true, maxExamples: 1, learnHeaders: false });
      ours.push(groupingAccuracy(labelsFromLineGroups(r.templates, log.lines.length), log.truth));
      const d = new Drain();
      const ids = log.lines.map((l) => d.add(maskTokens(l)));
      drain.push(groupingAccuracy(ids.map((id) => d.templateOf(id)), log.truth));
      const templates = new Set(r.templates.map((t) => t.id)).size;
      assert.ok(templates > 1 && templates * 2 < log.lines.length, `${log.style}: ${templates} templates for ${log.lines.length} lines`);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(mean(ours) >= mean(drain), `fallback ${mean(ours).toFixed(4)} < Drain ${mean(drain).toFixed(4)}`);
  });
});
