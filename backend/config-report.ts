import { llmModelReport } from './llm/llm-report';
import { requestLocal } from './llm/local-http';
import { NotLocalError } from './local-endpoint';
import type { LookupFunction } from 'node:net';
import * as fs from 'node:fs';
import { validateConfig, maskUrlSecrets, type Config, type Env, type SettingReport } from './config';
import { pingDocker, dockerClient } from './executors/docker-client';
import type { Queryable } from './store/db';
import { gcpReport, secretsReport } from './gcp/gcp-report';

/** The uid Docker workers run as (contracts/worker-protocol.ts): the logs must be readable by it. */
const WORKER_UID = 10001;

export interface LiveFacts {
  config: Config;
  env: Env;
  db: Queryable & { kind: string; description: string };
  /** The port the server is listening on (the configured one may be 0). */
  port: number | null;
  /** The names of the editor secrets handed over (never values). */
  editorSecretNames?: string[];
  /** Whether the Docker engine answers; null when it does; the reason when not. */
  dockerProblem?: () => Promise<string | null>;
}

/**
 * GET /config/validate: what this running backend uses and whether each part works. Values
 * are the live ones (a `--data` or `--port` flag wins over the environment, port 0 is the
 * port it got), every dependency is tried (the store answers a query, Docker answers a ping,
 * the logs folder is readable by the workers' uid), and no secret is shown (passwords in URLs
 * are masked). `ok` is false when anything configured or needed does not work.
 */
export async function liveConfigReport(facts: LiveFacts): Promise<{ ok: boolean; settings: SettingReport[] }> {
  const { config, env } = facts;
  const settings = validateConfig(env).map((s) => ({ ...s, ...(s.value === undefined ? {} : { value: maskUrlSecrets(s.value) }), message: maskUrlSecrets(s.message) }));
  const live = (name: string, value: string, from: string) => {
    const i = settings.findIndex((s) => s.name === name);
    if (i >= 0 && settings[i].status !== 'invalid') settings[i] = { ...settings[i], status: 'ok', value, message: `in use: ${value} (${from})` };
  };
  live('PRODUCT_OS_HOST', config.host, env.PRODUCT_OS_HOST === config.host ? 'from PRODUCT_OS_HOST' : env.PRODUCT_OS_HOST ? 'from the command line' : 'the default');
  if (facts.port !== null) live('PRODUCT_OS_PORT', String(facts.port), env.PRODUCT_OS_PORT && Number(env.PRODUCT_OS_PORT) === facts.port ? 'from PRODUCT_OS_PORT' : 'the port this backend is listening on');
  live('PRODUCT_OS_DATA', config.dataDir, env.PRODUCT_OS_DATA === config.dataDir ? 'from PRODUCT_OS_DATA' : env.PRODUCT_OS_DATA ? 'from the command line (--data), not PRODUCT_OS_DATA' : 'from the command line or the default');

  settings.push(await storeReport(facts));
  const logs = logsReport(config.logsDir, !!env.PRODUCT_OS_LOGS);
  const li = settings.findIndex((s) => s.name === 'PRODUCT_OS_LOGS');
  if (li >= 0 && settings[li].status !== 'invalid') settings[li] = logs;
  const llm = settings.findIndex((s) => s.name === 'PRODUCT_OS_LLM_URL');
  if (llm >= 0 && settings[llm].status === 'ok' && config.llmUrl) settings[llm] = await llmEndpointReport(config.llmUrl, settings[llm]);
  const model = settings.findIndex((s) => s.name === 'PRODUCT_OS_LLM_MODEL');
  const modelReport = model >= 0 && settings[model].status !== 'invalid' ? llmModelReport(config.llm) : null;
  if (modelReport) settings[model] = modelReport;
  settings.push(await dockerReport(env, facts.dockerProblem));
  const gcp = gcpReport(config, env);
  if (gcp) settings.push(gcp);
  settings.push(secretsReport(facts.editorSecretNames ?? []));
  return { ok: settings.every((s) => s.status !== 'invalid'), settings };
}

async function storeReport(facts: LiveFacts): Promise<SettingReport> {
  const what = facts.db.description;
  try {
    await facts.db.query('SELECT 1');
    return { name: 'store', status: 'ok', required: true, message: `${what} answers`, value: facts.db.kind };
  } catch {
    return { name: 'store', status: 'invalid', required: true, message: `${what} does not answer a query; see the backend log`, value: facts.db.kind };
  }
}

/** Exists, is a folder, and the workers' uid may list and read it (owner, group or other bits, as apply). */
export function logsReport(dir: string, configured: boolean): SettingReport {
  const base = { name: 'PRODUCT_OS_LOGS', required: false, value: dir };
  const st = fs.statSync(dir, { throwIfNoEntry: false });
  if (!st) {
    return configured
      ? { ...base, status: 'invalid', message: `PRODUCT_OS_LOGS is ${dir}, which does not exist on the machine the backend runs on; log triage cannot run` }
      : { ...base, status: 'missing', message: `not set, and ${dir} (the default) does not exist: log triage needs a logs folder; set PRODUCT_OS_LOGS where the backend runs` };
  }
  const status = configured ? 'invalid' : 'missing';
  if (!st.isDirectory()) return { ...base, status, message: `${dir} is not a folder` };
  const bits = st.uid === WORKER_UID ? (st.mode >> 6) & 7 : st.gid === WORKER_UID ? (st.mode >> 3) & 7 : st.mode & 7;
  if ((bits & 5) !== 5) {
    return { ...base, status, message: `${dir} is not readable by the workers, which run as uid ${WORKER_UID}: make it readable (for example chmod -R o+rX ${dir})` };
  }
  return { ...base, status: 'ok', message: `in use: ${dir}, readable by the workers (uid ${WORKER_UID})` };
}

/**
 * A configured LLM endpoint (already checked to be local as written) resolves to local
 * addresses only and answers HTTP at all: any status will do. The probe is the model calls'
 * own request (requestLocal), so a name DNS sends off this machine is refused here as it would
 * be at call time, and a redirect is not followed. `lookup`: a scripted resolver, for tests.
 */
export async function llmEndpointReport(url: string, setting: SettingReport, lookup?: LookupFunction): Promise<SettingReport> {
  try {
    await requestLocal(url, { method: 'GET', signal: AbortSignal.timeout(2000), lookup });
    return { ...setting, message: `${maskUrlSecrets(url)} answers` };
  } catch (err) {
    if (err instanceof NotLocalError) return { ...setting, status: 'invalid', message: `PRODUCT_OS_LLM_URL ${err.message}; no model call will be sent there` };
    const why = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError' ? 'no answer within 2 s' : ((err as { code?: string }).code ?? 'no answer');
    return { ...setting, status: 'invalid', message: `PRODUCT_OS_LLM_URL ${maskUrlSecrets(url)} does not answer (${why}); start the LLM server or fix the URL` };
  }
}

async function dockerReport(env: Env, probe?: () => Promise<string | null>): Promise<SettingReport> {
  const where = env.DOCKER_HOST ? maskUrlSecrets(env.DOCKER_HOST) : 'the default socket (/var/run/docker.sock)';
  const problem = await (probe ?? (() => pingDocker(dockerClient(), 2000)))();
  return problem
    ? { name: 'DOCKER_HOST', status: 'invalid', required: false, message: `Docker tools cannot run: ${maskUrlSecrets(problem)}`, value: where }
    : { name: 'DOCKER_HOST', status: 'ok', required: false, message: `the Docker engine at ${where} answers`, value: where };
}
