import assert from 'node:assert/strict';
import { anomalyInsight, biggestDrop, campaignFromInsight, confidenceLabel, driverInsight, funnelInsight, funnelRows, rankDrivers } from '../../../webviews/insights/funnel';
import { SAMPLE_ANOMALIES, SAMPLE_DRIVERS, SAMPLE_FUNNEL } from '../../../webviews/insights/sample-data';
import { withAlpha } from '../../../webviews/insights/charts';
import { validate, type JsonSchema } from '../../../contracts/json-schema';
import { toolList } from '../../e2e/panels/fixtures';

const schemaOf = (tool: string, which: 'inputSchema' | 'outputSchema') => toolList(() => false).find((t) => t.name === tool)![which] as JsonSchema;

describe('webviews: insights arithmetic', () => {
  it('computes users, conversion from the previous step and overall per funnel step', () => {
    const rows = funnelRows([
      { event_name: 'a', users: 1000 },
      { event_name: 'b', users: 400 },
      { event_name: 'c', users: 100 },
    ]);
    assert.deepEqual(rows.map((r) => [r.fromPrevious, r.overall, r.dropped]), [
      [1, 1, 0],
      [0.4, 0.4, 600],
      [0.25, 0.1, 300],
    ]);
    assert.equal(biggestDrop(rows)!.event, 'c');
  });

  it('copes with empty steps and zero users', () => {
    assert.deepEqual(funnelRows([]), []);
    const rows = funnelRows([
      { event_name: 'a', users: 0 },
      { event_name: 'b', users: 0, conversion_from_prev: 0 },
    ]);
    assert.deepEqual(rows.map((r) => [r.fromPrevious, r.overall]), [
      [1, null],
      [0, null],
    ]);
  });

  it('ranks drivers and names confidence', () => {
    assert.deepEqual(rankDrivers(SAMPLE_DRIVERS.drivers).map((d) => d.name), ['invited_teammate', 'connected_github', 'saw_pricing_twice', 'mobile_signup']);
    assert.deepEqual([0.9, 0.6, 0.2, undefined].map(confidenceLabel), ['high', 'medium', 'low', 'unknown']);
  });

  it('sample data has the shape of the registry’s output schemas', () => {
    assert.deepEqual(validate(schemaOf('analytics.funnel_summary', 'outputSchema'), SAMPLE_FUNNEL), []);
    assert.deepEqual(validate(schemaOf('analytics.top_drivers', 'outputSchema'), SAMPLE_DRIVERS), []);
    assert.deepEqual(validate(schemaOf('analytics.anomaly_detect', 'outputSchema'), SAMPLE_ANOMALIES), []);
    assert.ok(SAMPLE_ANOMALIES.anomalies.some((a) => a.direction === 'spike') && SAMPLE_ANOMALIES.anomalies.some((a) => a.direction === 'drop'));
  });

  it('builds insights that analytics.write_insight accepts, and campaigns that generate_channel_posts accepts', () => {
    const input = schemaOf('analytics.write_insight', 'inputSchema');
    const insights = [
      funnelInsight('Signup', 30, funnelRows(SAMPLE_FUNNEL.steps)),
      driverInsight('trial_to_paid', 30, SAMPLE_DRIVERS.drivers),
      anomalyInsight('signups', 30, SAMPLE_ANOMALIES.anomalies),
      anomalyInsight('signups', 30, []),
      driverInsight('x', 7, []),
    ];
    for (const insight of insights) assert.deepEqual(validate(input, { insight }), [], insight.title);
    assert.equal(insights[0].severity, 'high');
    assert.match(insights[0].title, /subscription_paid/);
    const campaign = campaignFromInsight(insights[1], 'Acme', 'Founders', ['linkedin']);
    assert.deepEqual(validate(schemaOf('marketing.generate_channel_posts', 'inputSchema'), campaign), []);
    // An empty product is caught before anything is sent.
    assert.ok(validate(schemaOf('marketing.generate_channel_posts', 'inputSchema'), campaignFromInsight(insights[1], 'Acme', 'F', [])).some((v) => v.rule === 'minItems'));
  });

  it('derives translucent chart colours from theme colours', () => {
    assert.equal(withAlpha('#3794ff', 0.5), 'rgba(55, 148, 255, 0.5)');
    assert.equal(withAlpha('#fff', 1), 'rgba(255, 255, 255, 1)');
    assert.equal(withAlpha('rgba(1, 2, 3, 0.4)', 0.2), 'rgba(1, 2, 3, 0.2)');
    assert.equal(withAlpha('red', 0.2), 'red');
  });
});
