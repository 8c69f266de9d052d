/**
 * logs.tail on Google Cloud: Cloud Logging entries of a Cloud Run service (or one revision),
 * newest `limit` within the window, returned oldest first like the local target's.
 */
import type { v2 as loggingV2 } from '@google-cloud/logging';
import type { LogLineOut } from '../../../contracts/tools/deploy';
import { ProductOsError } from '../../errors';
import { gcpError } from '../../gcp/errors';
import { timestamp } from './cloud-run';

type LoggingClient = InstanceType<typeof loggingV2.LoggingServiceV2Client>;

/** The fields of a LogEntry read here. */
interface LogEntry {
  timestamp?: unknown;
  receiveTimestamp?: unknown;
  severity?: unknown;
  textPayload?: string | null;
  jsonPayload?: unknown;
  httpRequest?: { requestMethod?: string | null; requestUrl?: string | null; status?: number | null } | null;
}

const SEVERITY: Record<number, string> = { 0: 'DEFAULT', 100: 'DEBUG', 200: 'INFO', 300: 'NOTICE', 400: 'WARNING', 500: 'ERROR', 600: 'CRITICAL', 700: 'ALERT', 800: 'EMERGENCY' };

/** The filter, with every value quoted as the logging query language wants. */
export function runLogFilter(service: string, region: string | undefined, revision: string | undefined, since: Date): string {
  const q = (v: string) => JSON.stringify(v);
  return [
    'resource.type="cloud_run_revision"',
    `resource.labels.service_name=${q(service)}`,
    ...(region ? [`resource.labels.location=${q(region)}`] : []),
    ...(revision ? [`resource.labels.revision_name=${q(revision)}`] : []),
    `timestamp>=${q(since.toISOString())}`,
  ].join(' AND ');
}

export async function tailRunLogs(
  client: LoggingClient,
  project: string,
  req: { service: string; region?: string; revision?: string; limit: number; sinceSeconds: number },
): Promise<LogLineOut[]> {
  const filter = runLogFilter(req.service, req.region, req.revision, new Date(Date.now() - req.sinceSeconds * 1000));
  return (await listLines(client, project, req, { filter, orderBy: 'timestamp desc', pageSize: req.limit })).reverse();
}

/** How often a followed log asks Cloud Logging again, and how far back each ask looks (entries arrive late, out of order). */
export const FOLLOW_POLL_MS = 5000;
const LATE_MS = 30_000;
/** Lines already sent, remembered to skip them when a later ask overlaps (bounded). */
const SENT_MAX = 5000;

/**
 * Follows a service's (or revision's) entries inside one run: asks Cloud Logging every
 * FOLLOW_POLL_MS for what is newer than the last line sent (less LATE_MS, since entries are
 * ingested late and out of order; lines sent before are skipped), oldest first, until the
 * signal fires or `until` passes. An ask that failed
 * retryably is tried again at the next poll, after a warning; any other error ends the run.
 */
export async function followRunLogs(
  client: LoggingClient,
  project: string,
  req: { service: string; region?: string; revision?: string; since: Date; until: number },
  op: { signal: AbortSignal; log(level: 'warn', message: string): Promise<void> },
  onLine: (line: LogLineOut) => Promise<void>,
  pollMs = FOLLOW_POLL_MS,
): Promise<void> {
  const sent = new Set<string>();
  const order: string[] = [];
  let newest = req.since.getTime();
  while (!op.signal.aborted && Date.now() < req.until) {
    const from = new Date(Math.max(req.since.getTime(), newest - LATE_MS));
    try {
      const lines = await listLines(client, project, req, { filter: runLogFilter(req.service, req.region, req.revision, from), orderBy: 'timestamp asc', pageSize: 1000 });
      for (const l of lines) {
        const key = `${l.timestamp}|${l.text}`;
        if (sent.has(key) || op.signal.aborted) continue;
        sent.add(key);
        order.push(key);
        if (order.length > SENT_MAX) sent.delete(order.shift() as string);
        newest = Math.max(newest, Date.parse(l.timestamp) || newest);
        await onLine(l);
      }
    } catch (err) {
      // A denied or unknown service will not get better: the run fails with it. Only a passing outage is waited out.
      if (!(err instanceof ProductOsError) || !err.retryable) throw err;
      await op.log('warn', `cannot read the logs this time, trying again: ${err.message}`);
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, Math.max(0, Math.min(pollMs, req.until - Date.now())));
      function done() {
        clearTimeout(t);
        op.signal.removeEventListener('abort', done);
        resolve();
      }
      op.signal.addEventListener('abort', done, { once: true });
    });
  }
}

async function listLines(
  client: LoggingClient,
  project: string,
  req: { service: string; revision?: string },
  q: { filter: string; orderBy: string; pageSize: number },
): Promise<LogLineOut[]> {
  let entries;
  try {
    [entries] = await client.listLogEntries({ resourceNames: [`projects/${project}`], ...q }, { autoPaginate: false, timeout: 30_000 });
  } catch (err) {
    throw gcpError(err, { service: 'Cloud Logging', action: `reading the logs of ${req.revision ? `revision ${req.revision}` : `service ${req.service}`}`, role: 'roles/logging.viewer' });
  }
  return (entries as LogEntry[]).slice(0, q.pageSize).map((e) => ({
    timestamp: timestamp(e.timestamp as { seconds?: unknown; nanos?: unknown } | null) ?? timestamp(e.receiveTimestamp as { seconds?: unknown } | null) ?? new Date(0).toISOString(),
    severity: typeof e.severity === 'number' ? (SEVERITY[e.severity] ?? String(e.severity)) : String(e.severity ?? 'DEFAULT'),
    text: entryText(e),
  }));
}

/** textPayload, a JSON payload's message (or the payload as JSON), or the HTTP request line. */
function entryText(e: { textPayload?: string | null; jsonPayload?: unknown; httpRequest?: { requestMethod?: string | null; requestUrl?: string | null; status?: number | null } | null }): string {
  if (e.textPayload) return e.textPayload;
  const json = structToJson(e.jsonPayload);
  if (json && typeof json === 'object') {
    const m = (json as Record<string, unknown>).message;
    return typeof m === 'string' ? m : JSON.stringify(json);
  }
  if (e.httpRequest) return `${e.httpRequest.requestMethod ?? ''} ${e.httpRequest.requestUrl ?? ''} ${e.httpRequest.status ?? ''}`.trim();
  return '';
}

/** google.protobuf.Struct (fields/kind values) to plain JSON. */
function structToJson(v: unknown): unknown {
  if (!v || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if ('fields' in o && o.fields && typeof o.fields === 'object') {
    return Object.fromEntries(Object.entries(o.fields as Record<string, unknown>).map(([k, x]) => [k, structToJson(x)]));
  }
  for (const k of ['stringValue', 'numberValue', 'boolValue']) if (k in o) return o[k];
  if ('nullValue' in o) return null;
  if ('structValue' in o) return structToJson(o.structValue);
  if ('listValue' in o) return ((o.listValue as { values?: unknown[] }).values ?? []).map(structToJson);
  return v;
}
