import type { ExecutionContext } from '../executors/executor';
import type { LocalHandler } from '../executors/local';
import { ProductOsError } from '../errors';
import type { DeployEnv, DeployOperation, DeployOptions, DeployTarget } from '../deploy/target';
import type { LogLineOut } from '../../contracts/tools/deploy';
import { FOLLOW_DEFAULT_SECONDS, followTail, levelOf } from '../deploy/follow-logs';

interface DeployInput {
  service_name: string;
  repo: string;
  ref: string;
  env: DeployEnv;
  region: string;
  build?: { dockerfile_path?: string; build_context?: string };
  env_vars?: Record<string, string>;
  deploy?: DeployOptions;
}

interface LogsInput {
  scope: 'service' | 'run';
  service_name?: string;
  region?: string;
  revision?: string;
  run_id?: string;
  limit: number;
  since_seconds?: number;
  follow?: boolean;
  follow_seconds?: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The run's signal, progress and log lines, as the target reports its steps. */
function operation(ctx: ExecutionContext): DeployOperation {
  return { signal: ctx.signal, progress: (p) => ctx.progress(p), log: (level, message) => ctx.log(level, message) };
}

/**
 * cloudrun.deploy_service, get_service_status, rollback_service, list_services and logs.tail,
 * on whichever deploy target the settings pick (`target()`, opened on first use). They hold no
 * state of their own: the target is the service's record.
 */
export function deployHandlers(target: () => Promise<DeployTarget>): Array<[string, LocalHandler]> {
  const deploy: LocalHandler = async (input: DeployInput, ctx) =>
    (await target()).deploy(
      {
        service: input.service_name,
        region: input.region,
        env: input.env,
        source: { kind: 'git', repo: input.repo, ref: input.ref, dockerfilePath: input.build?.dockerfile_path ?? 'Dockerfile', buildContext: input.build?.build_context ?? '.' },
        envVars: input.env_vars ?? {},
        deploy: input.deploy ?? {},
      },
      operation(ctx),
    );
  const status: LocalHandler = async (input: { service_name: string; region: string }, ctx) => (await target()).status(input.service_name, input.region, operation(ctx));
  const rollback: LocalHandler = async (input: { service_name: string; region: string; env: DeployEnv; to_revision?: string; reason: string }, ctx) =>
    (await target()).rollback(
      { service: input.service_name, region: input.region, env: input.env, reason: input.reason, ...(input.to_revision ? { toRevision: input.to_revision } : {}) },
      operation(ctx),
    );
  const list: LocalHandler = async (_input: Record<string, never>, ctx) => (await target()).services(operation(ctx));
  const tail: LocalHandler = async (input: LogsInput, ctx) => {
    const since = input.since_seconds ?? 900;
    if (input.scope === 'run') {
      if (input.follow) throw new ProductOsError('invalid_input', 'follow works with scope "service" only: read a run\'s own lines as they come from its event stream', { violations: [{ pointer: '/follow', rule: 'scope' }] });
      if (!input.run_id) throw new ProductOsError('invalid_input', 'run_id is required when scope is "run"', { violations: [{ pointer: '/run_id', rule: 'required' }] });
      if (!UUID.test(input.run_id)) throw new ProductOsError('invalid_input', `run_id "${input.run_id}" is not a run id (a UUID)`, { violations: [{ pointer: '/run_id', rule: 'format' }] });
      return { lines: await runLines(ctx, input.run_id, input.limit, since) };
    }
    if (!input.service_name) throw new ProductOsError('invalid_input', 'service_name is required when scope is "service"', { violations: [{ pointer: '/service_name', rule: 'required' }] });
    const req = { service: input.service_name, ...(input.region ? { region: input.region } : {}), ...(input.revision ? { revision: input.revision } : {}), limit: input.limit, sinceSeconds: since };
    if (input.follow) {
      // Each line is a run log event (its time and severity as fields), so a follower reads them live.
      const send = (l: LogLineOut) => ctx.log(levelOf(l.severity), l.text, { timestamp: l.timestamp, ...(l.severity ? { severity: l.severity } : {}) });
      return { lines: await followTail(await target(), { ...req, followSeconds: input.follow_seconds ?? FOLLOW_DEFAULT_SECONDS }, operation(ctx), send) };
    }
    return { lines: await (await target()).logs(req, operation(ctx)) };
  };
  return [
    ['cloudrun.deploy_service', deploy],
    ['cloudrun.get_service_status', status],
    ['cloudrun.rollback_service', rollback],
    ['cloudrun.list_services', list],
    ['logs.tail', tail],
  ];
}

/** A run's own log lines (the store's), newest `limit` within the window, oldest first. */
async function runLines(ctx: ExecutionContext, runId: string, limit: number, sinceSeconds: number): Promise<LogLineOut[]> {
  const rows = await ctx.db.query<{ ts: Date; level: string; message: string }>(
    `SELECT ts, level, message FROM (SELECT id, ts, level, message FROM logs WHERE run_id = $1 AND ts >= now() - make_interval(secs => $2) ORDER BY id DESC LIMIT $3) t ORDER BY id`,
    [runId, sinceSeconds, limit],
  );
  return rows.map((r) => ({ timestamp: new Date(r.ts).toISOString(), severity: r.level.toUpperCase(), text: r.message }));
}
