import * as path from 'node:path';
import type { Config } from '../config';
import { DuckDbWarehouse } from './duckdb-engine';
import { BigQueryWarehouse } from './bigquery/bigquery-engine';
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
  if (config.bigquery) return BigQueryWarehouse.open(config.bigquery);
  return DuckDbWarehouse.open(eventsDbFile(config.dataDir));
}
