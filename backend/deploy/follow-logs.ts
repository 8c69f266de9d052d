/**
 * logs.tail with follow: one run that sends the window's lines and then every new line as it
 * appears, until cancelled or its time is up — instead of one stored run per poll. What the
 * run returns at the end is the newest `limit` lines it sent.
 */
import type { LogLineOut } from '../../contracts/tools/deploy';
import { ProductOsError } from '../errors';
import type { DeployOperation, DeployTarget, LogsRequest } from './target';

/** How long a follow lasts when the call does not say (the registry allows up to 3300 s). */
export const FOLLOW_DEFAULT_SECONDS = 900;

export interface FollowTailRequest extends LogsRequest {
  followSeconds: number;
}

export async function followTail(target: DeployTarget, req: FollowTailRequest, op: DeployOperation, send: (line: LogLineOut) => Promise<void>): Promise<LogLineOut[]> {
  if (!target.followLogs) {
    throw new ProductOsError('invalid_input', `the ${target.kind} deploy target cannot follow logs: call logs.tail without follow (and again for newer lines)`, {
      violations: [{ pointer: '/follow', rule: 'unsupported' }],
    });
  }
  const kept: LogLineOut[] = [];
  const keep = (l: LogLineOut) => {
    kept.push(l);
    if (kept.length > req.limit) kept.shift();
  };
  // Captured before the window is read: the follow starts here, so no line falls between the two.
  const since = new Date();
  const window = await target.logs(req, op);
  // Lines the window already holds from `since` on would come again from the follow: skipped once.
  const sent = new Set(window.filter((l) => Date.parse(l.timestamp) >= since.getTime() - 1000).map(lineKey));
  for (const l of window) {
    await send(l);
    keep(l);
  }
  await target.followLogs(
    { service: req.service, region: req.region, revision: req.revision, since, until: Date.now() + req.followSeconds * 1000 },
    op,
    async (l) => {
      const key = lineKey(l);
      if (sent.delete(key)) return;
      await send(l);
      keep(l);
    },
  );
  return kept;
}

function lineKey(l: LogLineOut): string {
  return `${l.timestamp}|${l.text}`;
}

/** The run log level a log line's severity maps to (Cloud Logging's severities, Docker's DEFAULT/ERROR). */
export function levelOf(severity: string | undefined): 'debug' | 'info' | 'warn' | 'error' {
  switch (severity) {
    case 'DEBUG':
      return 'debug';
    case 'WARNING':
      return 'warn';
    case 'ERROR':
    case 'CRITICAL':
    case 'ALERT':
    case 'EMERGENCY':
      return 'error';
    default:
      return 'info';
  }
}
