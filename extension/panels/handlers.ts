/**
 * What the host does for each webview request: the backend calls behind every protocol method.
 * Without `vscode` (the panel passes in what it needs from the editor), so it is unit-tested
 * with a fake BackendApi. Errors keep the backend's code, message and details (a 409 on a card
 * move carries `details.currentVersion` and `details.card`, which the board uses to roll back).
 */
import type { BrandVersion, Card, CardEvent, Lane, LogLine, Run, RunEvent, RunPage, StateEventData, ToolInfo } from '../../contracts/rest';
import type { BackendApi } from '../backend-api';
import type { HostNotification, PanelKind, RequestMap, RequestMethod, WebviewRequest } from '../../webviews/common/protocol';
import { mergePatchBetween } from '../../webviews/common/json-diff';
import { isTerminal } from '../run-status';
import type { HandlerError } from './channel';
import { waitForRun } from './run-wait';

export interface HandlerDeps {
  api: BackendApi;
  panel: PanelKind;
  notify(n: HostNotification): void;
  showMessage(level: 'info' | 'warning' | 'error', message: string): void;
  openPanel(panel: PanelKind, focus: { runId?: string; cardKey?: string }): Promise<void>;
  /** How long a request that waits for a run waits at most (default 5 minutes). */
  runWaitMs?: number;
  /** How long `run/get` gathers the replayed events before answering (default 300 ms). */
  replayWindowMs?: number;
}

export const CARD_RUN_TOOL = 'cards.run';
export const BRAND_GET_TOOL = 'brand.get_profile';
export const BRAND_UPDATE_TOOL = 'brand.update_profile';
/** Runs started from a card carry this correlation id, so the card drawer can list them. */
export const cardCorrelationId = (key: string): string => `card:${key}`;

const MAX_CARD_RUNS = 50;

function handlerError(code: string, message: string, details?: unknown): HandlerError {
  return { code, message, ...(details === undefined ? {} : { details }) };
}

const enc = encodeURIComponent;

function query(params: Record<string, unknown>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${enc(k)}=${enc(String(v))}`);
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** A settled run that did not succeed, as an error with its run id in the details. */
function runFailure(run: Run): HandlerError {
  const details = { runId: run.id, status: run.status, ...(typeof run.error?.details === 'object' && run.error.details !== null ? (run.error.details as object) : {}) };
  if (run.error) return handlerError(run.error.code, run.error.message, details);
  return handlerError(run.status, `${run.tool} ended ${run.status.replace('_', ' ')}`, details);
}

type Handlers = { [M in RequestMethod]: (params: RequestMap[M]['params']) => Promise<RequestMap[M]['result']> };

/** One panel's handlers, with its live run watch (`run/get` starts it; `dispose` ends it). */
export class PanelHandlers {
  private watchOff: Array<() => void> = [];
  private readonly api: BackendApi;

  constructor(private readonly deps: HandlerDeps) {
    this.api = deps.api;
  }

  handle = async (request: WebviewRequest): Promise<RequestMap[RequestMethod]['result']> => {
    const fn = this.handlers[request.method] as (p: unknown) => Promise<RequestMap[RequestMethod]['result']>;
    return fn(request.params);
  };

  dispose(): void {
    this.unwatch();
  }

  private unwatch(): void {
    for (const off of this.watchOff) off();
    this.watchOff = [];
  }

  /** Submit a tool call and, when asked, wait for it to settle. */
  private async call(tool: string, input: Record<string, unknown>, opts: { correlationId?: string; wait?: boolean } = {}): Promise<Run> {
    const run = await this.api.request<Run>('POST', '/api/runs', { tool, input, ...(opts.correlationId ? { correlationId: opts.correlationId } : {}) });
    if (!opts.wait) return run;
    return waitForRun(this.api, run.id, this.deps.runWaitMs ?? 5 * 60_000);
  }

  private async tools(): Promise<ToolInfo[]> {
    return (await this.api.request<{ tools: ToolInfo[] }>('GET', '/api/tools')).tools;
  }

  /** The brand profile (null when there is none yet), read through brand.get_profile. */
  private async readProfile(profileId: string): Promise<unknown | null> {
    const run = await this.call(BRAND_GET_TOOL, { profile_id: profileId }, { wait: true });
    if (run.status === 'succeeded') return (run.output as { brand?: unknown } | undefined)?.brand ?? null;
    if (run.error?.code === 'not_found') return null;
    if (run.status === 'awaiting_approval') throw handlerError('awaiting_approval', `${BRAND_GET_TOOL} is waiting for approval (run ${run.id})`, { runId: run.id });
    throw runFailure(run);
  }

  private async saveProfile(profileId: string, patch: Record<string, unknown>): Promise<Run> {
    const run = await this.call(BRAND_UPDATE_TOOL, { profile_id: profileId, patch }, { wait: true });
    if (run.status === 'succeeded' || run.status === 'awaiting_approval' || !isTerminal(run.status)) return run;
    throw runFailure(run);
  }

  private readonly handlers: Handlers = {
    'board/load': async () => {
      const [lanes, cards] = await Promise.all([
        this.api.request<{ lanes: Lane[] }>('GET', '/api/lanes'),
        this.api.request<{ cards: Card[] }>('GET', '/api/cards'),
      ]);
      return { lanes: lanes.lanes, cards: cards.cards };
    },

    'card/move': async ({ key, ...body }) => this.api.request<Card>('PATCH', `/api/cards/${enc(key)}`, body),

    'card/update': async ({ key, ...body }) => this.api.request<Card>('PATCH', `/api/cards/${enc(key)}`, body),

    'card/history': async ({ key }) => {
      const { events } = await this.api.request<{ events: CardEvent[] }>('GET', `/api/cards/${enc(key)}/events`);
      const byId = new Map<string, Run>();
      const [correlated, agentRuns] = await Promise.all([
        this.api.request<RunPage>('GET', `/api/runs${query({ correlationId: cardCorrelationId(key), limit: MAX_CARD_RUNS })}`).catch(() => null),
        this.api.request<RunPage>('GET', `/api/runs${query({ tool: CARD_RUN_TOOL, limit: 200 })}`).catch(() => null),
      ]);
      for (const r of correlated?.runs ?? []) byId.set(r.id, r);
      for (const r of agentRuns?.runs ?? []) if ((r.input as { card_key?: unknown } | null)?.card_key === key) byId.set(r.id, r);
      const fromEvents = [...new Set(events.map((e) => e.runId).filter((id): id is string => typeof id === 'string'))].filter((id) => !byId.has(id)).slice(0, 20);
      const fetched = await Promise.all(fromEvents.map((id) => this.api.request<Run>('GET', `/api/runs/${enc(id)}`).catch(() => null)));
      for (const r of fetched) if (r) byId.set(r.id, r);
      const runs = [...byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, MAX_CARD_RUNS);
      return { events, runs };
    },

    'card/run': async ({ key, instructions }) =>
      this.call(CARD_RUN_TOOL, { card_key: key, ...(instructions ? { instructions } : {}) }, { correlationId: cardCorrelationId(key) }),

    'brand/load': async ({ profileId }) => {
      const tools = await this.tools();
      const getTool = tools.find((t) => t.name === BRAND_GET_TOOL);
      const schema = (getTool?.outputSchema as { properties?: { brand?: unknown } } | undefined)?.properties?.brand;
      if (!schema) throw handlerError('not_found', `the registry has no ${BRAND_GET_TOOL} tool with a brand schema`);
      const [profile, history] = await Promise.all([
        this.readProfile(profileId),
        this.api.request<{ versions: BrandVersion[] }>('GET', `/api/brand/${enc(profileId)}/history`),
      ]);
      return { profile, schema, versions: history.versions };
    },

    'brand/save': async ({ profileId, patch }) => this.saveProfile(profileId, patch),

    'brand/revert': async ({ profileId, version }) => {
      const { versions } = await this.api.request<{ versions: BrandVersion[] }>('GET', `/api/brand/${enc(profileId)}/history`);
      const target = versions.find((v) => v.version === version);
      if (!target) throw handlerError('not_found', `brand profile "${profileId}" has no version ${version}`);
      const current = await this.readProfile(profileId);
      const patch = mergePatchBetween(current, target.brand);
      if (Object.keys(patch).length === 0) throw handlerError('no_change', `the profile is already as it was at version ${version}`);
      return this.saveProfile(profileId, patch);
    },

    'tools/list': async () => ({ tools: await this.tools() }),

    'tool/call': async ({ tool, input, correlationId, wait }) => this.call(tool, input, { correlationId, wait }),

    'runs/list': async (params) => this.api.request<RunPage>('GET', `/api/runs${query(params as Record<string, unknown>)}`),

    'run/get': async ({ id }) => {
      this.unwatch();
      const collected: RunEvent[] = [];
      let answering = true;
      let sawEnd = false;
      let endSeen: (() => void) | null = null;
      this.watchOff.push(
        this.api.onRunEvents(id, (event) => {
          if (answering) {
            collected.push(event);
            if (event.type === 'state' && isTerminal((event.data as StateEventData).to)) {
              sawEnd = true;
              endSeen?.();
            }
          } else this.deps.notify({ kind: 'notification', type: 'run/event', event });
        }),
      );
      this.watchOff.push(this.api.onLog((line) => this.deps.notify({ kind: 'notification', type: 'log/line', line }), id));
      try {
        const [run, logs] = await Promise.all([
          this.api.request<Run>('GET', `/api/runs/${enc(id)}`),
          this.api.request<{ lines: LogLine[] }>('GET', `/api/logs${query({ runId: id, limit: 1000 })}`).catch(() => ({ lines: [] as LogLine[] })),
        ]);
        // Give the replay a moment (it ends early for a finished run: its final state is last).
        if (!sawEnd) {
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, this.deps.replayWindowMs ?? 300);
            endSeen = () => {
              clearTimeout(t);
              resolve();
            };
          });
        }
        return { run, events: collected.sort((a, b) => a.id - b.id), logs: logs.lines };
      } catch (err) {
        this.unwatch();
        throw err;
      } finally {
        answering = false;
      }
    },

    'run/unwatch': async () => {
      this.unwatch();
      return null;
    },

    'run/approve': async ({ id, reason }) => this.api.request<Run>('POST', `/api/runs/${enc(id)}/approve`, reason ? { reason } : {}),
    'run/deny': async ({ id, reason }) => this.api.request<Run>('POST', `/api/runs/${enc(id)}/deny`, reason ? { reason } : {}),
    'run/cancel': async ({ id }) => this.api.request<Run>('POST', `/api/runs/${enc(id)}/cancel`),

    'run/retry': async ({ id }) => {
      const old = await this.api.request<Run>('GET', `/api/runs/${enc(id)}`);
      if (typeof old.input !== 'object' || old.input === null || Array.isArray(old.input)) throw handlerError('invalid_state', `run ${id} has no input object to submit again`);
      return this.api.request<Run>('POST', '/api/runs', {
        tool: old.tool,
        input: old.input,
        ...(old.correlationId ? { correlationId: old.correlationId } : {}),
        ...(Object.keys(old.labels ?? {}).length > 0 ? { labels: old.labels } : {}),
      });
    },

    'ui/showMessage': async ({ level, message }) => {
      this.deps.showMessage(level, message);
      return null;
    },

    'ui/openPanel': async ({ panel, runId, cardKey }) => {
      await this.deps.openPanel(panel, { runId, cardKey });
      return null;
    },
  };
}
