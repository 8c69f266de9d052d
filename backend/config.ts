import * as os from 'node:os';
import * as path from 'node:path';
import { parseExecutorUrls, type ExecutorUrls } from './executors/executor-urls';
import { LLM_SETTINGS, llmConfig, type LlmConfig } from './llm/llm-settings';
import { GCP_SETTINGS, GCP_PROJECT_NEEDED_BY, gcpConfig, type GcpConfig } from './gcp/gcp-settings';
import { BIGQUERY_SETTINGS, bigQueryConfig, type BigQueryConfig } from './analytics/bigquery/settings';

/** Every setting, where it comes from, and whether it is usable. Shown by GET /config/validate. */
export interface SettingReport {
  name: string;
  status: 'ok' | 'missing' | 'invalid';
  required: boolean;
  message: string;
  value?: string;
}

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  /** The embedded store when DATABASE_URL is not set: `auto` (PostgreSQL from the bundled binaries, PGlite where they cannot run), or one forced. */
  store: 'auto' | 'postgres' | 'pglite';
  token?: string;
  allowedOrigins: string[];
  allowedHosts: string[];
  mediumRiskNeedsApproval: boolean;
  maxBodyBytes: number;
  concurrency: number;
  redactedDebug: boolean;
  registryFile?: string;
  llmUrl?: string;
  /** The local model: provider, endpoint or GGUF, models folder, threads (backend/llm/llm-settings.ts). */
  llm: LlmConfig;
  gcpProject?: string;
  logsDir: string;
  /** Containers the service map and GPU report may look at, from PRODUCT_OS_SERVICE_MAP_CONTAINERS. */
  serviceMapContainers: string[];
  workerPool: number;
  /** The git repository cards.run works on (PRODUCT_OS_WORKSPACE; default: the folder the backend started in). */
  workspaceDir: string;
  role: 'all' | 'executor';
  /** PRODUCT_OS_DEPLOY_TARGET: where cloudrun.* deploys (backend/deploy/select.ts). */
  deployTarget: 'local' | 'gcp';
  /** Google Cloud: brand store, Firestore database, default region, Artifact Registry repository (backend/gcp/gcp-settings.ts). */
  gcp: GcpConfig;
  /** BigQuery as the events engine (backend/analytics/bigquery/settings.ts); undefined: the embedded DuckDB file. */
  bigquery?: BigQueryConfig;
  /** `serve --role executor`: the ID-token audience (this executor's URL), allowed callers, where the signing certs are. */
  executorAudience?: string;
  executorInvokers: string[];
  executorCertsUrl?: string;
  /** marketing.publish_missinglettr: the API and where its token comes from (a reference, or the value from the environment). */
  missinglettr: { url: string; tokenRef?: string; token?: string };
  /** Remote executors' base URLs by executor name, from PRODUCT_OS_EXECUTOR_URLS (backend/executors/executor-urls.ts). */
  executorUrls: ExecutorUrls;
}

export type Env = Record<string, string | undefined>;
export type Overrides = Partial<Pick<Config, 'host' | 'port' | 'dataDir' | 'role'>>;

export interface Setting {
  name: string;
  required?: boolean;
  /** Required only when another setting needs it: returns why ("PRODUCT_OS_DEPLOY_TARGET is gcp"), or null. */
  requiredWhen?: (env: Env) => string | null;
  secret?: boolean;
  /** Human description of the default used when the setting is absent. */
  absent: string;
  /** Returns a problem sentence, or null when the value is fine. */
  check(value: string): string | null;
}

const intIn = (min: number, max: number) => (v: string) =>
  /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max ? null : `must be an integer from ${min} to ${max}`;
const bool = (v: string) => (/^(1|0|true|false|yes|no|on|off)$/i.test(v) ? null : 'must be true or false');

export const SETTINGS: Setting[] = [
  { name: 'PRODUCT_OS_HOST', absent: '127.0.0.1 (this machine only)', check: (v) => (v.length > 0 ? null : 'must not be empty') },
  { name: 'PRODUCT_OS_PORT', absent: '7331 for `serve`, a free port when embedded', check: intIn(0, 65535) },
  { name: 'PRODUCT_OS_DATA', absent: `the per-user data folder (${defaultDataDir({})})`, check: (v) => (path.isAbsolute(v) ? null : 'must be an absolute path') },
  {
    name: 'DATABASE_URL',
    secret: true,
    absent: 'the embedded store in the data folder (PRODUCT_OS_STORE)',
    check: (v) => (/^postgres(ql)?:\/\//.test(v) ? null : 'must be a postgres:// or postgresql:// URL'),
  },
  {
    name: 'PRODUCT_OS_STORE',
    absent: 'auto: an embedded PostgreSQL from the bundled binaries, PGlite where they cannot run (no package for this platform, or root without a postgres user)',
    check: (v) => (['auto', 'postgres', 'pglite'].includes(v) ? null : 'must be auto, postgres or pglite'),
  },
  { name: 'PRODUCT_OS_TOKEN', secret: true, absent: 'a random token kept in the data folder (mode 0600)', check: (v) => (v.length >= 16 ? null : 'must be at least 16 characters') },
  {
    name: 'PRODUCT_OS_ALLOWED_ORIGINS',
    absent: 'no browser origins (editor and MCP clients send none)',
    check: (v) => (v.split(',').every((o) => /^[a-z][a-z0-9+.-]*:\/\/[^/\s]+$/i.test(o.trim())) ? null : 'must be a comma-separated list of origins like https://example.com'),
  },
  { name: 'PRODUCT_OS_ALLOWED_HOSTS', absent: 'localhost, 127.0.0.1, [::1] and the bound host', check: (v) => (v.trim().length > 0 ? null : 'must not be empty') },
  { name: 'PRODUCT_OS_MEDIUM_RISK', absent: 'auto (medium-risk tools run without approval)', check: (v) => (v === 'auto' || v === 'approval' ? null : 'must be auto or approval') },
  { name: 'PRODUCT_OS_MAX_BODY_BYTES', absent: '1048576 (1 MiB)', check: intIn(1024, 64 * 1024 * 1024) },
  { name: 'PRODUCT_OS_CONCURRENCY', absent: '16 runs at a time per backend', check: intIn(1, 256) },
  { name: 'DEBUG_REDACTED_MODE', absent: 'true (logs mask emails, keys, IPs, user names, container ids)', check: bool },
  { name: 'PRODUCT_OS_REGISTRY', absent: 'the bundled registry/tool-registry.yaml', check: (v) => (v.endsWith('.yaml') || v.endsWith('.yml') ? null : 'must be a .yaml file') },
  ...LLM_SETTINGS,
  { name: 'GOOGLE_CLOUD_PROJECT', absent: 'no Google Cloud project (everything stays local)', requiredWhen: (env) => GCP_PROJECT_NEEDED_BY(env), check: (v) => (/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(v) ? null : 'is not a valid project id') },
  { name: 'PRODUCT_OS_LOGS', absent: './logs (for log triage)', check: (v) => (v.length > 0 ? null : 'must not be empty') },
  {
    name: 'PRODUCT_OS_SERVICE_MAP_CONTAINERS',
    absent: 'only the containers allowlisted in the store (the editor sets this from productOs.serviceMap.containers)',
    check: (v) => (v.split(',').every((c) => /^\/?[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(c.trim())) ? null : 'must be a comma-separated list of container names or ids'),
  },
  { name: 'PRODUCT_OS_WORKER_POOL', absent: '0 idle workers kept warm per image', check: intIn(0, 32) },
  { name: 'PRODUCT_OS_WORKSPACE', absent: 'the folder the backend was started in (the repository cards.run works on)', check: (v) => (path.isAbsolute(v) ? null : 'must be an absolute path') },
  {
    name: 'PRODUCT_OS_DEPLOY_TARGET',
    absent: 'local (deploys build and run on the local Docker engine; no cloud account needed)',
    check: (v) => (v === 'local' || v === 'gcp' ? null : 'must be local or gcp'),
  },
  ...GCP_SETTINGS,
  ...BIGQUERY_SETTINGS,
  {
    name: 'PRODUCT_OS_EXECUTOR_URLS',
    absent: 'none: every http tool runs in-process on the local engine (analytics on the DuckDB file in the data folder)',
    check: (v) => {
      const parsed = parseExecutorUrls(v);
      return typeof parsed === 'string' ? `must be a comma-separated list of executor=URL: ${parsed}` : null;
    },
  },
  {
    name: 'PRODUCT_OS_EXECUTOR_AUDIENCE',
    absent: 'none (needed by `serve --role executor`: its own URL, the audience of the ID tokens it accepts)',
    check: (v) => (/^https?:\/\/[^\s/]+/.test(v) ? null : 'must be the executor\'s URL (https://…)'),
  },
  {
    name: 'PRODUCT_OS_EXECUTOR_INVOKERS',
    absent: 'any Google-signed ID token for the audience (Cloud Run\'s run.invoker decides who may call)',
    check: (v) => (v.split(',').every((e) => /^[^@\s,]+@[^@\s,]+$/.test(e.trim())) ? null : 'must be a comma-separated list of service-account emails'),
  },
  {
    name: 'PRODUCT_OS_EXECUTOR_CERTS_URL',
    absent: 'Google\'s ID-token signing certificates (https://www.googleapis.com/oauth2/v1/certs)',
    check: (v) => (/^https?:\/\/\S+$/.test(v) ? null : 'must be an http(s) URL'),
  },
  {
    name: 'PRODUCT_OS_MISSINGLETTR_URL',
    absent: 'https://api.missinglettr.com/api/v1',
    check: (v) => (/^https?:\/\/\S+$/.test(v) ? null : 'must be an http(s) URL'),
  },
  {
    name: 'PRODUCT_OS_MISSINGLETTR_TOKEN',
    absent: 'no reference (MISSINGLETTR_API_TOKEN, else publishing answers not_configured)',
    check: (v) => (/^(sm|editor):\/\//.test(v) ? null : 'must be a secret reference: sm://PROJECT/NAME[/VERSION] or editor://NAME, never the token itself'),
  },
  { name: 'MISSINGLETTR_API_TOKEN', secret: true, absent: 'no token in the environment', check: (v) => (v.trim().length >= 8 ? null : 'is too short to be a token') },
];

export function validateConfig(env: Env): SettingReport[] {
  return SETTINGS.map((s) => {
    const raw = env[s.name];
    if (raw === undefined || raw === '') {
      const needed = s.requiredWhen?.(env);
      if (needed) return { name: s.name, status: 'invalid', required: true, message: `${s.name} is not set, and ${needed}: set it (see the README's Google Cloud section)` };
      return { name: s.name, status: s.required ? 'invalid' : 'missing', required: !!s.required, message: `not set: using ${s.absent}` };
    }
    const problem = s.check(raw);
    // Secrets are never shown, nor a password inside a URL setting (PRODUCT_OS_LLM_URL).
    const shown = s.secret ? undefined : maskUrlSecrets(raw);
    if (problem) return { name: s.name, status: 'invalid', required: !!s.required, message: `${s.name} ${problem}`, value: shown };
    return { name: s.name, status: 'ok', required: !!s.required, message: 'set and valid', value: shown };
  });
}

/** `scheme://user:password@host` → `scheme://***@host`, anywhere in a text. */
export function maskUrlSecrets(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1***@');
}

export class ConfigError extends Error {
  constructor(readonly problems: SettingReport[]) {
    super(`invalid configuration: ${problems.map((p) => p.message).join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Builds the config from the environment and CLI flags; throws naming every invalid setting. */
export function loadConfig(env: Env, overrides: Overrides = {}): Config {
  const problems = validateConfig(env).filter((r) => r.status === 'invalid');
  if (problems.length > 0) throw new ConfigError(problems);
  const flag = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v);
  const host = overrides.host ?? env.PRODUCT_OS_HOST ?? '127.0.0.1';
  const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []);
  return {
    host,
    port: overrides.port ?? (env.PRODUCT_OS_PORT ? Number(env.PRODUCT_OS_PORT) : 7331),
    dataDir: overrides.dataDir ?? env.PRODUCT_OS_DATA ?? defaultDataDir(env),
    databaseUrl: env.DATABASE_URL || undefined,
    store: (env.PRODUCT_OS_STORE || 'auto') as Config['store'],
    token: env.PRODUCT_OS_TOKEN || undefined,
    allowedOrigins: list(env.PRODUCT_OS_ALLOWED_ORIGINS),
    allowedHosts: [...new Set(['localhost', '127.0.0.1', '[::1]', host, ...list(env.PRODUCT_OS_ALLOWED_HOSTS)])],
    mediumRiskNeedsApproval: env.PRODUCT_OS_MEDIUM_RISK === 'approval',
    maxBodyBytes: env.PRODUCT_OS_MAX_BODY_BYTES ? Number(env.PRODUCT_OS_MAX_BODY_BYTES) : 1024 * 1024,
    concurrency: env.PRODUCT_OS_CONCURRENCY ? Number(env.PRODUCT_OS_CONCURRENCY) : 16,
    redactedDebug: env.DEBUG_REDACTED_MODE === undefined || env.DEBUG_REDACTED_MODE === '' ? true : flag(env.DEBUG_REDACTED_MODE),
    registryFile: env.PRODUCT_OS_REGISTRY || undefined,
    llmUrl: env.PRODUCT_OS_LLM_URL || undefined,
    llm: llmConfig(env, overrides.dataDir ?? env.PRODUCT_OS_DATA ?? defaultDataDir(env)),
    gcpProject: env.GOOGLE_CLOUD_PROJECT || undefined,
    logsDir: path.resolve(env.PRODUCT_OS_LOGS ?? 'logs'),
    serviceMapContainers: list(env.PRODUCT_OS_SERVICE_MAP_CONTAINERS),
    workerPool: env.PRODUCT_OS_WORKER_POOL ? Number(env.PRODUCT_OS_WORKER_POOL) : 0,
    workspaceDir: path.resolve(env.PRODUCT_OS_WORKSPACE || '.'),
    role: overrides.role ?? 'all',
    deployTarget: env.PRODUCT_OS_DEPLOY_TARGET === 'gcp' ? 'gcp' : 'local',
    gcp: gcpConfig(env),
    bigquery: bigQueryConfig(env),
    executorAudience: env.PRODUCT_OS_EXECUTOR_AUDIENCE || undefined,
    executorInvokers: list(env.PRODUCT_OS_EXECUTOR_INVOKERS),
    executorCertsUrl: env.PRODUCT_OS_EXECUTOR_CERTS_URL || undefined,
    missinglettr: { url: env.PRODUCT_OS_MISSINGLETTR_URL || 'https://api.missinglettr.com/api/v1', tokenRef: env.PRODUCT_OS_MISSINGLETTR_TOKEN || undefined, token: env.MISSINGLETTR_API_TOKEN || undefined },
    executorUrls: env.PRODUCT_OS_EXECUTOR_URLS ? (parseExecutorUrls(env.PRODUCT_OS_EXECUTOR_URLS) as ExecutorUrls) : {},
  };
}

/** XDG on Linux, Application Support on macOS, %APPDATA% on Windows. */
export function defaultDataDir(env: Env): string {
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'product-os');
  if (process.platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'product-os');
  return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'product-os');
}
