/**
 * logs.tail on Google Cloud: Cloud Logging entries of a Cloud Run service (or one revision),
 * newest `limit` within the window, returned oldest first like the local target's.
 */
import type { v2 as loggingV2 } from '@google-cloud/logging';
import type { LogLineOut } from '../../../contracts/tools/deploy';
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
  let entries;
  try {
    [entries] = await client.listLogEntries({ resourceNames: [`projects/${project}`], filter, orderBy: 'timestamp desc', pageSize: req.limit }, { autoPaginate: false, timeout: 30_000 });
  } catch (err) {
    throw gcpError(err, { service: 'Cloud Logging', action: `reading the logs of ${req.revision ? `revision ${req.revision}` : `service ${req.service}`}`, role: 'roles/logging.viewer' });
  }
  return (entries as LogEntry[])
    .slice(0, req.limit)
    .map((e) => ({
      timestamp: timestamp(e.timestamp as { seconds?: unknown; nanos?: unknown } | null) ?? timestamp(e.receiveTimestamp as { seconds?: unknown } | null) ?? new Date(0).toISOString(),
      severity: typeof e.severity === 'number' ? (SEVERITY[e.severity] ?? String(e.severity)) : String(e.severity ?? 'DEFAULT'),
      text: entryText(e),
    }))
    .reverse();
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
