import type { Db } from '../store/db';
import type { Registry } from '../../registry/loader';
import type { RunEngine } from '../runs/engine';
import type { Bus } from '../runs/bus';
import type { ExecutorRouter } from '../executors/router';
import type { Config, Env } from '../config';
import type { Logger } from '../logger';

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
}
