import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { DuckDbWarehouse } from '../../backend/analytics/duckdb-engine';
import { demoEvents, demoTruth, DEMO_FUNNEL } from '../../backend/analytics/demo-events';
import { seededRandom } from '../../common/seeded-random';
import type { EventRow, FunnelQuery, RetentionQuery } from '../../backend/analytics/warehouse';
import { seasonalBaseline } from '../../backend/analytics/stats/seasonal-baseline';
import { bruteFunnel, bruteRetention } from '../helpers/analytics-brute-force';
import { startBackend, type TestBackend } from '../helpers/backend';
import type { FunnelSummary, TopDrivers, AnomalyDetection, CohortRetention } from '../../contracts/tools/analytics';

const DAY = 86_400_000;
const END = new Date('2026-11-30T00:00:00Z');
const OPTS = { users: 4000, days: 56, end: END, seed: 7 };

describe('analytics on real DuckDB, against truths planted in generated events', function () {
  this.timeout(120_000);
  let rows: EventRow[];
  let w: DuckDbWarehouse;
  let dir: string;

  before(async () => {
    rows = [...demoEvents(OPTS)];
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'po-analytics-'));
    w = await DuckDbWarehouse.open(path.join(dir, 'events.duckdb'));
    for (let i = 0; i < rows.length; i += 20_000) await w.ingest(rows.slice(i, i + 20_000));
  });
  after(async () => {
    await w?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const range = (days: number) => ({ from: new Date(END.getTime() - days * DAY), to: END });

  const funnels: Array<[string, FunnelQuery]> = [
    ['the demo 4-step funnel, 14-day window', { range: range(56), steps: DEMO_FUNNEL.map((event) => ({ event })), windowMs: 14 * DAY }],
    ['a 1-day window over the last 30 days', { range: range(30), steps: DEMO_FUNNEL.map((event) => ({ event })), windowMs: DAY }],
    ['a step filter (plan=team) and a list filter', { range: range(56), steps: [{ event: 'signup_completed', filter: { plan: 'team' } }, { event: 'activated' }, { event: 'subscription_paid', filter: { plan: ['team', 'pro'] } }], windowMs: 14 * DAY }],
    ['the same event twice in a row (strictly later)', { range: range(56), steps: [{ event: 'session_started' }, { event: 'session_started' }, { event: 'subscription_paid' }], windowMs: 7 * DAY }],
    ['a numeric property filter', { range: range(56), steps: [{ event: 'signup_completed' }, { event: 'subscription_paid', filter: { amount: 48 } }], windowMs: 30 * DAY }],
  ];
  for (const [name, q] of funnels) {
    it(`funnel counts equal a brute-force count: ${name}`, async () => {
      const got = (await w.funnel(q)).steps.map((s) => s.users);
      const want = bruteFunnel(rows, q);
      assert.deepEqual(got, want);
      assert.ok(want[0] > 0 && want[1] > 0, `the data exercises the steps: ${want}`);
    });
  }

  const retentions: Array<[string, RetentionQuery]> = [
    ['weekly, 8 periods', { range: range(56), cohortEvent: 'signup_completed', returnEvent: 'session_started', period: 'week', periods: 8 }],
    ['daily, 14 periods over 20 days', { range: range(20), cohortEvent: 'signup_completed', returnEvent: 'session_started', period: 'day', periods: 14 }],
    ['monthly', { range: range(56), cohortEvent: 'signup_completed', returnEvent: 'activated', period: 'month', periods: 3 }],
  ];
  for (const [name, q] of retentions) {
    it(`retention equals a brute-force count: ${name}`, async () => {
      const got = await w.retention(q);
      const want = bruteRetention(rows, q);
      assert.deepEqual(
        new Map(got.cohorts.map((c) => [c.cohort_start, { size: c.size, retained: c.retained }])),
        want,
      );
      assert.ok(got.cohorts.length >= 2);
    });
  }

  it('a query stops when its run is cancelled (the signal interrupts DuckDB)', async () => {
    const ac = new AbortController();
    const q = { ...funnels[3][1], signal: ac.signal };
    const pending = w.funnel(q);
    ac.abort(new Error('cancel'));
    await assert.rejects(pending, /Interrupted|cancel/);
    // The warehouse goes on answering.
    assert.deepEqual((await w.funnel(funnels[0][1])).steps.map((s) => s.users), bruteFunnel(rows, funnels[0][1]));
  });

  it('planted anomalies in seasonal series are found: precision and recall printed', () => {
    const rnd = seededRandom(11);
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let s = 0; s < 40; s++) {
      const n = 90;
      const level = 50 + rnd() * 400;
      const planted = new Set<number>();
      while (planted.size < 3) planted.add(14 + Math.floor(rnd() * (n - 14)));
      const values = Array.from({ length: n }, (_, i) => {
        const weekly = [1, 1.05, 1, 0.95, 0.9, 0.55, 0.5][i % 7];
        const mean = level * weekly * (1 + (0.6 * i) / n);
        // Poisson-like noise: normal with variance = mean.
        const z = Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
        let v = Math.max(0, Math.round(mean + z * Math.sqrt(mean)));
        if (planted.has(i)) v = Math.round(v * (rnd() < 0.5 ? 0.35 : 2.2));
        return v;
      });
      const found = new Set(seasonalBaseline(values, 7, 3).flatMap((p, i) => (p.anomalous ? [i] : [])));
      for (const i of found) (planted.has(i) ? tp++ : fp++);
      for (const i of planted) if (!found.has(i)) fn++;
    }
    const precision = tp / (tp + fp);
    const recall = tp / (tp + fn);
    console.log(`      anomaly detection on 40 planted series: precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)} (tp ${tp}, fp ${fp}, fn ${fn})`);
    assert.ok(precision >= 0.8, `precision ${precision}`);
    assert.ok(recall >= 0.8, `recall ${recall}`);
  });

  describe('through the tools', () => {
    let b: TestBackend;
    before(async () => {
      b = await startBackend();
      await (await b.backend.analytics.warehouse()).ingest(rows);
    });
    after(async () => b?.close());

    it('funnel_summary: counts, Wilson intervals that hold the rate, medians, and where it ran', async () => {
      const run = await b.tool('analytics.funnel_summary', { range_days: 56, as_of: END.toISOString(), funnel: { name: 'activation', steps: DEMO_FUNNEL.map((event_name) => ({ event_name })) } });
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.equal(run.executedOn, 'local');
      const out = run.output as FunnelSummary;
      assert.deepEqual(out.steps.map((s) => s.users), bruteFunnel(rows, funnels[0][1]));
      for (const s of out.steps) {
        assert.ok(s.conversion_from_prev_interval!.lower <= s.conversion_from_prev && s.conversion_from_prev <= s.conversion_from_prev_interval!.upper);
        assert.ok(s.conversion_overall_interval!.upper - s.conversion_overall_interval!.lower < 0.1);
      }
      assert.equal(out.steps[0].conversion_from_prev, 1);
      assert.ok(out.steps[3].median_seconds_from_entry! > out.steps[1].median_seconds_from_entry!);
      assert.equal(out.engine, 'duckdb');
      assert.equal(out.window_days, 14);
    });

    it('top_drivers: the planted driver (plan=team) is found with the right direction; the planted non-driver (browser) is not', async () => {
      const truth = demoTruth(OPTS);
      const run = await b.tool('analytics.top_drivers', {
        range_days: 56,
        as_of: END.toISOString(),
        target: { metric: 'trial_to_paid', event_name: 'subscription_paid' },
        entry_event: 'signup_completed',
        candidate_features: ['plan', 'browser', 'source'],
      });
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      const out = run.output as TopDrivers;
      const team = out.drivers.find((d) => d.name === `${truth.driver.key}=${truth.driver.value}`);
      assert.ok(team, `plan=team is among ${out.drivers.map((d) => d.name)}`);
      assert.equal(team.direction, 'positive');
      assert.ok(team.confidence! > 0.99);
      assert.match(team.evidence, /users with plan=team converted [\d.]+× as often as everyone else: [\d,]+ of [\d,]+/);
      assert.equal(out.drivers[0].name, 'plan=team', 'the strongest effect comes first');
      assert.ok(!out.drivers.some((d) => d.property === truth.nonDriver), `no browser driver: ${out.drivers.map((d) => d.name)}`);
      assert.ok(out.tested! >= 8);
    });

    it('anomaly_detect: the planted incident day is found as a drop with its expected range', async () => {
      const truth = demoTruth(OPTS);
      const run = await b.tool('analytics.anomaly_detect', { metric: 'signup_completed', range_days: 56, as_of: END.toISOString() });
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      const out = run.output as AnomalyDetection;
      assert.equal(out.series.length, 56);
      const hit = out.anomalies.find((a) => a.t.startsWith(truth.incidentDay));
      assert.ok(hit, `incident ${truth.incidentDay} among ${JSON.stringify(out.anomalies)}`);
      assert.equal(hit.direction, 'drop');
      assert.ok(hit.value < hit.lower! && hit.lower! < hit.expected && hit.expected < hit.upper!);
      assert.ok(out.anomalies.length <= 3, `few false alarms: ${JSON.stringify(out.anomalies)}`);
    });

    it('cohort_retention: the triangle equals brute force, with the average per period and its interval', async () => {
      const run = await b.tool('analytics.cohort_retention', { range_days: 56, as_of: END.toISOString(), cohort_event: 'signup_completed', return_event: 'session_started', period: 'week', periods: 8 });
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      const out = run.output as CohortRetention;
      const want = bruteRetention(rows, retentions[0][1]);
      for (const c of out.cohorts) assert.deepEqual(c.retained_users, want.get(c.cohort_start)!.retained);
      const avg = out.average!;
      assert.equal(avg[0].cohort_users, out.cohorts.reduce((s, c) => s + c.size, 0));
      assert.ok(avg[5].retained < avg[1].retained, 'retention fades');
      for (const a of avg) assert.ok(a.interval.lower <= a.retained && a.retained <= a.interval.upper);
    });

    it('bad input gets a clear message: an event that does not exist, window 0, a property not in the data', async () => {
      const missing = await b.tool('analytics.funnel_summary', { range_days: 56, as_of: END.toISOString(), funnel: { name: 'x', steps: [{ event_name: 'signup_completed' }, { event_name: 'subscription_payed' }] } });
      assert.equal(missing.status, 'failed');
      assert.equal(missing.error!.code, 'not_found');
      assert.match(missing.error!.message, /funnel step 2: no "subscription_payed" events .*did you mean subscription_paid\?/);
      // Refused before a run exists, naming the field and the rule.
      await assert.rejects(b.tool('analytics.funnel_summary', { range_days: 56, window_days: 0, funnel: { name: 'x', steps: [{ event_name: 'a' }, { event_name: 'b' }] } }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'invalid_input');
        assert.match(err.message, /\/window_days must be >= 1/);
        return true;
      });
      const prop = await b.tool('analytics.funnel_summary', { range_days: 56, as_of: END.toISOString(), funnel: { name: 'x', steps: [{ event_name: 'signup_completed', filter: { plann: 'team' } }, { event_name: 'activated' }] } });
      assert.equal(prop.status, 'failed');
      assert.match(prop.error!.message, /"signup_completed" events have no property "plann"; did you mean plan\?/);
      const feature = await b.tool('analytics.top_drivers', { range_days: 56, as_of: END.toISOString(), target: { metric: 'subscription_paid' }, entry_event: 'signup_completed', candidate_features: ['country'] });
      assert.equal(feature.status, 'failed');
      assert.match(feature.error!.message, /candidate_features: no "signup_completed" entry event carries "country"/);
      // A segment on a property no event carries is named, not answered with nobody.
      const unknownSegment = await b.tool('analytics.top_drivers', { range_days: 56, as_of: END.toISOString(), target: { metric: 'subscription_paid' }, segment: { plann: 'team' } });
      assert.equal(unknownSegment.status, 'failed');
      assert.equal(unknownSegment.error!.code, 'not_found');
      assert.match(unknownSegment.error!.message, /^segment: no event carries a property "plann"; did you mean plan\?/);
    });

    it('top_drivers with a segment compares only the users who entered with it, counted as brute force counts them', async () => {
      const run = await b.tool('analytics.top_drivers', {
        range_days: 56,
        as_of: END.toISOString(),
        target: { metric: 'subscription_paid' },
        entry_event: 'signup_completed',
        segment: { plan: ['team', 'pro'] },
        min_support: 5,
      });
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      const out = run.output as TopDrivers;
      // Brute force: each user's first signup in the span, kept when its plan is in the segment;
      // converted when they paid within 14 days of it.
      const from = END.getTime() - 56 * DAY;
      const entry = new Map<string, EventRow>();
      for (const r of rows) {
        const t = r.timestamp.getTime();
        if (r.event !== 'signup_completed' || t < from || t >= END.getTime()) continue;
        const seen = entry.get(r.user_id);
        if (!seen || t < seen.timestamp.getTime()) entry.set(r.user_id, r);
      }
      const inSegment = [...entry.values()].filter((r) => ['team', 'pro'].includes(String((r.properties as Record<string, unknown>).plan)));
      const payments = new Map<string, number[]>();
      for (const r of rows) if (r.event === 'subscription_paid') payments.set(r.user_id, [...(payments.get(r.user_id) ?? []), r.timestamp.getTime()]);
      const t0 = (e: EventRow) => e.timestamp.getTime();
      const paid = inSegment.filter((e) => (payments.get(e.user_id) ?? []).some((t) => t >= t0(e) && t <= t0(e) + 14 * DAY && t < END.getTime()));
      assert.ok(inSegment.length > 0 && inSegment.length < entry.size, 'the segment is a proper part of the entrants');
      assert.equal(out.population, inSegment.length);
      assert.equal(out.converted, paid.length);
      // Within the segment plan=team still beats plan=pro; solo users are not there at all.
      assert.ok(!out.drivers.some((d) => d.name === 'plan=solo'), out.drivers.map((d) => d.name).join(', '));
      const team = out.drivers.find((d) => d.name === 'plan=team');
      assert.ok(team && team.direction === 'positive', out.drivers.map((d) => `${d.name} ${d.direction}`).join(', '));
    });
  });
});
