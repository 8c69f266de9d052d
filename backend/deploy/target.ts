/**
 * One interface for every place a service can be deployed: the local Docker engine (the
 * default, backend/deploy/local/) and Google Cloud (Cloud Build → Cloud Run v2, Cloud Logging,
 * backend/deploy/gcp/). The cloudrun.* and logs.tail handlers, the Services view and the
 * blueprint (which reconciles services) call only this; which target answers is a setting
 * (PRODUCT_OS_DEPLOY_TARGET: local | gcp).
 *
 * Every method throws ProductOsError with a code and a sentence that says what to do
 * (not_found: no such service/revision/ref; invalid_input: a Dockerfile that does not build;
 * unavailable: engine or API down, retryable; cancelled: the signal fired). A deploy that does
 * not become ready leaves traffic on the previous revision and says so in its error.
 */
import type { DeployOutput, ListServicesOutput, LogLineOut, RevisionInfo, RollbackOutput, ServiceStatus } from '../../contracts/tools/deploy';

export type DeployTargetKind = 'local' | 'gcp';
export type DeployEnv = 'dev' | 'staging' | 'prod';

/** The registry's `deploy` options (Cloud Run scaling and runtime). Locally: cpu and memory become container limits; the rest is recorded. */
export interface DeployOptions {
  cpu?: string;
  memory?: string;
  min_instances?: number;
  max_instances?: number;
  concurrency?: number;
  timeout_seconds?: number;
  service_account_email?: string;
  allow_unauthenticated?: boolean;
}

/** Where the revision's image comes from: built from a git ref, or (blueprint) an image that already exists. */
export type DeploySource =
  | { kind: 'git'; repo: string; ref: string; dockerfilePath: string; buildContext: string }
  | { kind: 'image'; image: string };

export interface DeployRequest {
  service: string;
  region: string;
  env: DeployEnv;
  source: DeploySource;
  /** Plain environment variables of the revision. */
  envVars: Record<string, string>;
  /** Environment variables from Secret Manager references (`sm://project/name[/version]`), resolved by the target; values never logged. */
  secretEnv?: Record<string, string>;
  deploy: DeployOptions;
  /** Extra labels on the service/revision (the blueprint marks what it manages). */
  labels?: Record<string, string>;
}

export interface RollbackRequest {
  service: string;
  region: string;
  env: DeployEnv;
  /** Default: the ready revision before the one serving now. */
  toRevision?: string;
  reason: string;
}

export interface LogsRequest {
  service: string;
  region?: string;
  /** Only this revision's lines; default every revision of the service. */
  revision?: string;
  limit: number;
  sinceSeconds: number;
}

/** Following a service's (or one revision's) log: lines from `since` on, until the signal fires or `until` (epoch ms) passes. */
export interface FollowLogsRequest {
  service: string;
  region?: string;
  revision?: string;
  since: Date;
  until: number;
}

/** What the target may do while it works: the run's cancel signal, progress and log lines as run events. */
export interface DeployOperation {
  signal: AbortSignal;
  progress(step: { progress: number; total?: number; message: string }): Promise<void>;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): Promise<void>;
}

/** The configuration of a service as deployed now (what the blueprint diffs against). */
export interface ServiceSpec {
  service: string;
  region: string;
  image: string;
  envVars: Record<string, string>;
  secretEnv: Record<string, string>;
  deploy: DeployOptions;
  labels: Record<string, string>;
}

export interface DeployTarget {
  readonly kind: DeployTargetKind;
  /** Builds (or takes) the image, creates a new revision and moves traffic to it once it is ready. */
  deploy(req: DeployRequest, op: DeployOperation): Promise<DeployOutput>;
  /** status ready/deploying/error/unknown; revisions newest first. not_found when the service does not exist. */
  status(service: string, region: string, op: DeployOperation): Promise<ServiceStatus>;
  revisions(service: string, region: string, op: DeployOperation): Promise<RevisionInfo[]>;
  /** All traffic to `toRevision` (default: the previous ready one). */
  rollback(req: RollbackRequest, op: DeployOperation): Promise<RollbackOutput>;
  /** Oldest first, at most `limit` (the newest ones), none older than `sinceSeconds`. */
  logs(req: LogsRequest, op: DeployOperation): Promise<LogLineOut[]>;
  /**
   * Sends each new line to `onLine` as it appears, oldest first per source, from `req.since`
   * until the signal fires or `req.until` passes; resolves then (never throws on cancel).
   * Absent on a target that cannot follow: logs.tail refuses follow there.
   */
  followLogs?(req: FollowLogsRequest, op: DeployOperation, onLine: (line: LogLineOut) => Promise<void>): Promise<void>;
  /** Every service this target knows (the Services view's roots). */
  services(op: DeployOperation): Promise<ListServicesOutput>;
  /** The service's current configuration, or null when it does not exist (blueprint). */
  describe(service: string, region: string, op: DeployOperation): Promise<ServiceSpec | null>;
  /** Frees what the target holds open (timers, clients); never removes services. */
  close?(): Promise<void>;
}
