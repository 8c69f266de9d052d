/**
 * The extension's settings (contributes.configuration in package.json), read through an
 * injected getter so the rules are unit-tested: what the bundled backend's environment becomes,
 * server mode, and what "Validate Configuration" reports about the settings themselves.
 */
import * as path from 'node:path';
import { format, type Translate } from './i18n';

export interface Settings {
  serverUrl: string;
  serverTokenFile: string;
  requestTimeoutSeconds: number;
  readyTimeoutSeconds: number;
  port: number;
  environment: Record<string, string>;
  mediumRisk: 'auto' | 'approval';
  lanes: string[];
  logsFolder: string;
  serviceMapContainers: string[];
  llmUrl: string;
  /** The model: a name for an Ollama / OpenAI-compatible server, or a .gguf file in the models folder. */
  llmModel: string;
  /** '' (inferred), 'llama.cpp-worker', 'llama.cpp', 'ollama' or 'openai-compatible'. */
  llmProvider: string;
  llmModelsFolder: string;
  /** llama.cpp threads; 0 = the backend's default (half the cores). */
  llmThreads: number;
  gcpProject: string;
  registerMcp: boolean;
}

/** `get(key)` as `vscode.workspace.getConfiguration('productOs').get(key)`. */
export function readSettings(get: (key: string) => unknown): Settings {
  const str = (k: string) => (typeof get(k) === 'string' ? (get(k) as string).trim() : '');
  const num = (k: string, d: number) => (typeof get(k) === 'number' && Number.isFinite(get(k)) ? (get(k) as number) : d);
  const env = get('backend.environment');
  const lanes = get('board.lanes');
  const containers = get('serviceMap.containers');
  return {
    serverUrl: str('server.url'),
    serverTokenFile: str('server.tokenFile'),
    requestTimeoutSeconds: num('backend.requestTimeoutSeconds', 30),
    readyTimeoutSeconds: num('backend.readyTimeoutSeconds', 60),
    port: num('backend.port', 0),
    environment:
      typeof env === 'object' && env !== null && !Array.isArray(env)
        ? Object.fromEntries(Object.entries(env as Record<string, unknown>).filter(([, v]) => typeof v === 'string') as Array<[string, string]>)
        : {},
    mediumRisk: get('approvals.mediumRisk') === 'approval' ? 'approval' : 'auto',
    lanes: Array.isArray(lanes) ? lanes.filter((l): l is string => typeof l === 'string' && l.trim() !== '').map((l) => l.trim()) : [],
    logsFolder: str('logs.folder'),
    serviceMapContainers: Array.isArray(containers) ? containers.filter((c): c is string => typeof c === 'string' && c.trim() !== '').map((c) => c.trim()) : [],
    llmUrl: str('llm.url'),
    llmModel: str('llm.model'),
    llmProvider: str('llm.provider'),
    llmModelsFolder: str('llm.modelsFolder'),
    llmThreads: Math.max(0, Math.floor(num('llm.threads', 0))),
    gcpProject: str('gcp.project'),
    registerMcp: get('mcp.register') !== false,
  };
}

export function isServerMode(s: Settings): boolean {
  return s.serverUrl !== '';
}

/**
 * The bundled backend's environment: ours on top of the editor's, with the token last so no
 * setting can replace it. ELECTRON_RUN_AS_NODE makes the editor's own binary run as Node.
 */
export function backendEnv(base: NodeJS.ProcessEnv, s: Settings, token: string, workspaceFolder: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, ...s.environment };
  env.ELECTRON_RUN_AS_NODE = '1';
  env.PRODUCT_OS_MEDIUM_RISK = s.mediumRisk;
  const logs = logsFolderOf(s, workspaceFolder);
  if (logs) env.PRODUCT_OS_LOGS = logs;
  if (s.serviceMapContainers.length > 0) env.PRODUCT_OS_SERVICE_MAP_CONTAINERS = s.serviceMapContainers.join(',');
  if (s.llmUrl) env.PRODUCT_OS_LLM_URL = s.llmUrl;
  if (s.llmModel) env.PRODUCT_OS_LLM_MODEL = s.llmModel;
  if (s.llmProvider) env.PRODUCT_OS_LLM_PROVIDER = s.llmProvider;
  if (s.llmModelsFolder) env.PRODUCT_OS_MODELS = s.llmModelsFolder;
  if (s.llmThreads > 0) env.PRODUCT_OS_LLM_THREADS = String(s.llmThreads);
  if (s.gcpProject) env.GOOGLE_CLOUD_PROJECT = s.gcpProject;
  // The backend reads these itself; never inherit the editor's values for them.
  delete env.PRODUCT_OS_URL;
  delete env.PRODUCT_OS_HOST;
  delete env.PRODUCT_OS_PORT;
  delete env.PRODUCT_OS_DATA;
  env.PRODUCT_OS_TOKEN = token;
  return env;
}

/**
 * How the Node running the bundled backend is tuned (the footprint bench starts it the same way):
 * - the compile cache in the data folder: every start after the first skips compiling the
 *   bundle (Node 22.1+; older runtimes ignore the variable);
 * - a young generation of 8 MB semi-spaces instead of V8's 16: measured on the 2-core machine,
 *   the backend's resident memory after 10,000 runs fell from about 185 to 150 MB, with no loss
 *   of throughput (the backend allocates small, short-lived objects per request).
 * NODE_OPTIONS already in `env` (the editor's, productOs.environment) are kept, after ours, so
 * theirs win.
 */
export function backendRuntimeEnv(env: NodeJS.ProcessEnv, dataDir: string): NodeJS.ProcessEnv {
  return {
    ...env,
    NODE_COMPILE_CACHE: path.join(dataDir, 'compile-cache'),
    NODE_OPTIONS: ['--max-semi-space-size=8', env.NODE_OPTIONS].filter(Boolean).join(' '),
  };
}

/**
 * The folder log triage reads for the bundled backend: productOs.logs.folder (relative to the
 * workspace folder), else the workspace's `logs` folder. Always absolute, so the backend never
 * resolves it against its own working folder.
 */
export function logsFolderOf(s: Settings, workspaceFolder: string | undefined): string | undefined {
  if (s.logsFolder) return path.isAbsolute(s.logsFolder) || !workspaceFolder ? path.resolve(s.logsFolder) : path.join(workspaceFolder, s.logsFolder);
  return workspaceFolder ? path.join(workspaceFolder, 'logs') : undefined;
}

export interface SettingProblem {
  setting: string;
  message: string;
}

/** Problems with the settings themselves, each naming the setting. */
export function validateSettings(s: Settings, t: Translate = format): SettingProblem[] {
  const problems: SettingProblem[] = [];
  if (s.serverUrl) {
    let u: URL | undefined;
    try {
      u = new URL(s.serverUrl);
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) problems.push({ setting: 'productOs.server.url', message: t('must be an http:// or https:// URL, got "{0}"', s.serverUrl) });
  }
  if (s.serverTokenFile && !s.serverUrl) problems.push({ setting: 'productOs.server.tokenFile', message: t('is only used with productOs.server.url') });
  if (!(s.requestTimeoutSeconds >= 1 && s.requestTimeoutSeconds <= 600)) problems.push({ setting: 'productOs.backend.requestTimeoutSeconds', message: t('must be from 1 to 600') });
  if (!(s.readyTimeoutSeconds >= 5 && s.readyTimeoutSeconds <= 600)) problems.push({ setting: 'productOs.backend.readyTimeoutSeconds', message: t('must be from 5 to 600') });
  if (!(Number.isInteger(s.port) && s.port >= 0 && s.port <= 65535)) problems.push({ setting: 'productOs.backend.port', message: t('must be an integer from 0 to 65535') });
  for (const key of Object.keys(s.environment)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) problems.push({ setting: 'productOs.backend.environment', message: t('"{0}" is not a valid environment variable name', key) });
    if (key === 'PRODUCT_OS_TOKEN') problems.push({ setting: 'productOs.backend.environment', message: t('PRODUCT_OS_TOKEN is ignored: the extension generates the token') });
  }
  return problems;
}

/** A settings problem: retrying will not help until the user changes something. */
export class ConfigurationError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

export const SERVER_TOKEN_SECRET = 'productOs.server.token';

/** Server mode: URL from the settings, token from secret storage or the token file. */
export async function resolveServer(s: Settings, secretToken: () => Promise<string | undefined>, readFile: (file: string) => Promise<string>, t: Translate = format): Promise<{ url: string; mcpUrl: string; token: string }> {
  const url = s.serverUrl.replace(/\/+$/, '');
  const problem = validateSettings(s, t).find((p) => p.setting === 'productOs.server.url');
  if (problem) throw new ConfigurationError(`${problem.setting} ${problem.message}`);
  let token = (await secretToken())?.trim();
  if (!token && s.serverTokenFile) {
    try {
      token = (await readFile(s.serverTokenFile)).trim();
    } catch (err) {
      throw new ConfigurationError(t('cannot read productOs.server.tokenFile {0}: {1}', s.serverTokenFile, (err as Error).message));
    }
  }
  if (!token) throw new ConfigurationError(t('productOs.server.url is set but there is no token: run "Product OS: Set Server Token…" or set productOs.server.tokenFile'));
  return { url, mcpUrl: `${url}/mcp`, token };
}
