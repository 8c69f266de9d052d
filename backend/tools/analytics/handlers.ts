import type { LocalHandler } from '../../executors/local';
import type { Analytics } from '../../analytics/analytics';
import type { Config } from '../../config';
import { funnelSummary } from './funnel';
import { cohortRetention } from './retention';
import { topDrivers } from './drivers';
import { anomalyDetect } from './anomalies';
import { writeInsight } from './write-insight';
import { eventsIngest } from '../events-ingest';

/** The events and analytics tools, run in-process on the backend's warehouse. */
export function analyticsHandlers(analytics: Analytics, config: Config): Array<[string, LocalHandler]> {
  return [
    ['events.ingest', eventsIngest(analytics) as LocalHandler],
    ['analytics.funnel_summary', funnelSummary(analytics) as LocalHandler],
    ['analytics.cohort_retention', cohortRetention(analytics) as LocalHandler],
    ['analytics.top_drivers', topDrivers(analytics) as LocalHandler],
    ['analytics.anomaly_detect', anomalyDetect(analytics) as LocalHandler],
    ['analytics.write_insight', writeInsight(config) as LocalHandler],
  ];
}
