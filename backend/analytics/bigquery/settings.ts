/**
 * The BigQuery settings: where the events live when they live in BigQuery, and what a query may
 * cost. BigQuery is chosen as the events engine when PRODUCT_OS_BIGQUERY_DATASET is set; every
 * other setting then has a default. /config/validate explains each one (backend/config.ts).
 */
import type { Env, Setting } from '../../config';

export interface BigQueryConfig {
  /** The project that runs the queries (and holds the dataset). */
  project: string;
  dataset: string;
  table: string;
  /** Where the dataset lives (US, EU, europe-west1, …); jobs run there. */
  location: string;
  /** The most bytes one query may bill (`maximumBytesBilled`); a dry run above it is refused before it runs. */
  maxBytesBilled: number;
  /** Anomalies by ML.DETECT_ANOMALIES on an ARIMA_PLUS model instead of the local seasonal baseline. */
  mlAnomalies: boolean;
}

export const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const DATASET_ID = /^[A-Za-z0-9_]{1,1024}$/;
const TABLE_ID = /^[A-Za-z0-9_]{1,1024}$/;
const LOCATION = /^(US|EU|[a-z]+-[a-z]+\d+)$/;
const GIB = 1024 ** 3;
export const DEFAULT_MAX_BYTES = 10 * GIB;

const usesBigQuery = (env: Env) => (env.PRODUCT_OS_BIGQUERY_DATASET ? 'PRODUCT_OS_BIGQUERY_DATASET is set (events live in BigQuery)' : null);
const bool = (v: string) => (/^(1|0|true|false|yes|no|on|off)$/i.test(v) ? null : 'must be true or false');

export const BIGQUERY_SETTINGS: Setting[] = [
  {
    name: 'PRODUCT_OS_BIGQUERY_DATASET',
    absent: 'none: product events live in the embedded DuckDB file in the data folder (set a dataset to keep them in BigQuery)',
    check: (v) => (DATASET_ID.test(v) ? null : 'must be a BigQuery dataset id (letters, digits and _)'),
  },
  {
    name: 'PRODUCT_OS_BIGQUERY_PROJECT',
    absent: 'GOOGLE_CLOUD_PROJECT (the project that runs the queries and holds the dataset)',
    requiredWhen: (env) => (env.GOOGLE_CLOUD_PROJECT ? null : usesBigQuery(env)),
    check: (v) => (PROJECT_ID.test(v) ? null : 'is not a valid project id'),
  },
  {
    name: 'PRODUCT_OS_BIGQUERY_TABLE',
    absent: 'events (created in the dataset, partitioned by day and clustered by event and user, when missing)',
    check: (v) => (TABLE_ID.test(v) ? null : 'must be a BigQuery table id (letters, digits and _)'),
  },
  {
    name: 'PRODUCT_OS_BIGQUERY_LOCATION',
    absent: 'US (must be where the dataset lives: a job in another location cannot see it)',
    check: (v) => (LOCATION.test(v) ? null : 'must be US, EU or a region such as europe-west1'),
  },
  {
    name: 'PRODUCT_OS_BIGQUERY_MAX_BYTES',
    absent: `${DEFAULT_MAX_BYTES} (10 GiB): the most one query may bill; a dry run above it is refused before anything runs`,
    check: (v) => (/^\d+$/.test(v) && Number(v) >= 10 * 1024 ** 2 && Number(v) <= 100 * 1024 ** 4 ? null : 'must be a whole number of bytes from 10485760 (10 MiB, BigQuery\'s minimum bill) to 100 TiB'),
  },
  {
    name: 'PRODUCT_OS_BIGQUERY_ML_ANOMALIES',
    absent: 'false: anomalies use the local weekly-seasonal median/MAD baseline (true: ML.DETECT_ANOMALIES on an ARIMA_PLUS model in the dataset, billed by BigQuery)',
    check: bool,
  },
];

/** The BigQuery engine's settings, or undefined when events stay in DuckDB. Call after validation. */
export function bigQueryConfig(env: Env): BigQueryConfig | undefined {
  if (!env.PRODUCT_OS_BIGQUERY_DATASET) return undefined;
  return {
    project: env.PRODUCT_OS_BIGQUERY_PROJECT || env.GOOGLE_CLOUD_PROJECT || '',
    dataset: env.PRODUCT_OS_BIGQUERY_DATASET,
    table: env.PRODUCT_OS_BIGQUERY_TABLE || 'events',
    location: env.PRODUCT_OS_BIGQUERY_LOCATION || 'US',
    maxBytesBilled: env.PRODUCT_OS_BIGQUERY_MAX_BYTES ? Number(env.PRODUCT_OS_BIGQUERY_MAX_BYTES) : DEFAULT_MAX_BYTES,
    mlAnomalies: /^(1|true|yes|on)$/i.test(env.PRODUCT_OS_BIGQUERY_ML_ANOMALIES ?? ''),
  };
}
