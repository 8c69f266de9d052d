import * as path from 'node:path';
import type { Config } from '../config';
import type { Warehouse } from './warehouse';

/** The DuckDB file of a data folder. */
export function eventsDbFile(dataDir: string): string {
  return path.join(dataDir, 'analytics', 'events.duckdb');
}

/**
 * The engine the settings choose: BigQuery when it is configured, otherwise the embedded
 * DuckDB file in the data folder.
 */
export async function openWarehouse(config: Config): Promise<Warehouse> {
  // Each engine's library (DuckDB's native binding, the BigQuery client) loads only when chosen.
  if (config.bigquery) return (await import('./bigquery/bigquery-engine')).BigQueryWarehouse.open(config.bigquery);
  return (await import('./duckdb-engine')).DuckDbWarehouse.open(eventsDbFile(config.dataDir));
}
