/**
 * What the log_triage task's worker gets mounted (read-only), decided in the backend: the logs
 * folder, at WORKER_PATHS.logs. A folder that is not there stops the run before a worker starts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Config } from '../../../backend/config';
import { ProductOsError } from '../../../backend/errors';
import type { MountRequest } from '../../../backend/executors/docker-mounts';
import { WORKER_PATHS } from '../../../contracts/worker-protocol';

export function logTriageMounts(config: Config): MountRequest[] {
  const logs = path.resolve(config.logsDir);
  if (!fs.existsSync(logs)) {
    // Said from where the backend runs: that is where the folder must be, and where a
    // relative PRODUCT_OS_LOGS was resolved (the editor's setting is productOs.logs.folder).
    throw new ProductOsError(
      'not_configured',
      `the logs folder ${logs} does not exist on the machine the backend runs on: create it, or point PRODUCT_OS_LOGS (in the editor: the productOs.logs.folder setting) at your logs; a relative path is resolved against the backend's working folder, ${process.cwd()}`,
      { logsDir: logs, setting: 'productOs.logs.folder', variable: 'PRODUCT_OS_LOGS' },
    );
  }
  return [{ source: logs, target: WORKER_PATHS.logs }];
}
