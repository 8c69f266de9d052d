import type { Db } from '../store/db';
import type { Registry } from '../../registry/loader';
import type { RunEngine } from '../runs/engine';
import type { Bus } from '../runs/bus';
import type { ExecutorRouter } from '../executors/router';
import type { Config, Env } from '../config';
import type { Logger } from '../logger';
import type { Analytics } from '../analytics/analytics';
import type { BrandStore } from '../store/brand-store';
import type { SecretResolver } from '../secrets/secret-resolver';

/** What the routes and the MCP server are given by the composition root (backend/main.ts). */
export interface ApiContext {
  db: Db;
  registry: Registry;
  engine: RunEngine;
  bus: Bus;
  executors: ExecutorRouter;
  config: Config;
  env: Env;
  logger: Logger;
  instanceId: string;
  startedAt: number;
  version: string;
  /** Where brand profiles live (default: the local store). */
  brands?: BrandStore;
  /** Secret references to values (names of editor secrets for /config/validate). */
  secrets?: SecretResolver;
  /** The events warehouse, opened on first use (absent on a remote executor). */
  analytics?: Analytics;
}
