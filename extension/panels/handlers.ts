/**
 * What the host does for each webview request: the backend calls behind every protocol method.
 * Without `vscode` (the panel passes in what it needs from the editor), so it is unit-tested
 * with a fake BackendApi. Errors keep the backend's code, message and details (a 409 on a card
 * move carries `details.currentVersion` and `details.card`, which the board uses to roll back).
 * Every write is a tool run (cards.*, brand.*), waited for on the backend's one wait route.
 */
import { cardCorrelationId, type Card, type Run, type RunEvent, type StateEventData, type ToolInfo } from '../../contracts/rest';
import type { BackendApi } from '../backend-api';
import { settle } from '../../contracts/client';
import type { HostNotification, PanelKind, RequestMap, RequestMethod, WebviewRequest } from '../../contracts/webview-messages';
import { isTerminal } from '../run-status';
import type { HandlerError } from './channel';

export interface HandlerDeps {
  api: BackendApi;
  panel: PanelKind;
  notify(n: HostNotification): void;
  showMessage(level: 'info' | 'warning' | 'error', message: string): void;
  openPanel(panel: PanelKind, focus: { runId?: string; cardKey?: string }): Promise<void>;
  /** Opens a committed card run's diff or checks its branch out (the extension's card-branch commands). */
  cardBranch?(key: string, action: 'diff' | 'checkout'): Promise<void>;
  /** How long a request that waits for a run waits at most (default 5 minutes). */
  runWaitMs?: number;
  /** How long `run/get` gathers the replayed events before answering (default 300 ms). */
  replayWindowMs?: number;
}

export const CARD_RUN_TOOL = 'cards.run';
export const BRAND_GET_TOOL = 'brand.get_profile';
export const BRAND_UPDATE_TOOL = 'brand.update_profile';
const BRAND_REVERT_TOOL = 'brand.revert_profile';

function handlerError(code: string, message: string, details?: unknown): HandlerError {
  return { code, message, ...(details === undefined ? {} : { details }) };
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

  /** Submit a tool call and, when asked, wait for it to settle (end, or stop for approval). */
  private async call(tool: string, input: Record<string, unknown>, opts: { correlationId?: string; wait?: boolean } = {}): Promise<Run> {
    const run = await this.api.call('createRun', { body: { tool, input, ...(opts.correlationId ? { correlationId: opts.correlationId } : {}) } });
    if (!opts.wait) return run;
    return settle((args, signal) => this.api.call('waitRun', args, signal), run, { until: 'settled', withinMs: this.deps.runWaitMs ?? 5 * 60_000 });
  }

  private async tools(): Promise<ToolInfo[]> {
    return (await this.api.call('listTools', {})).tools;
  }

  /** A write that must succeed: its output, or the run's failure as the error. */
  private async write(tool: string, input: Record<string, unknown>): Promise<unknown> {
    const run = await this.call(tool, input, { wait: true });
    if (run.status === 'succeeded') return run.output;
    if (run.status === 'awaiting_approval') throw handlerError('awaiting_approval', `${tool} is waiting for approval (run ${run.id})`, { runId: run.id });
    throw runFailure(run);
  }

  private async writeCard(tool: string, input: Record<string, unknown>): Promise<Card> {
    return ((await this.write(tool, input)) as { card: Card }).card;
  }

  /** A brand write: the run, also when it waits for approval (the Brain says so). */
  private async brandWrite(tool: string, input: Record<string, unknown>): Promise<Run> {
    const run = await this.call(tool, input, { wait: true });
    if (run.status === 'succeeded' || run.status === 'awaiting_approval' || !isTerminal(run.status)) return run;
    throw runFailure(run);
  }

  private readonly handlers: Handlers = {
    'board/load': async () => {
      const [lanes, cards] = await Promise.all([this.api.call('listLanes', {}), this.api.call('listCards', {})]);
      return { lanes: lanes.lanes, cards: cards.cards };
    },

    'cards/archived': async () => this.api.call('listCards', { query: { archived: true } }),

    'card/create': async (card) => this.writeCard('cards.create', { ...card }),

    'card/move': async ({ key, ifVersion, lane, position }) => this.writeCard('cards.move', { card_key: key, if_version: ifVersion, lane, position }),

    'card/update': async ({ key, ifVersion, ...change }) => this.writeCard('cards.update', { card_key: key, if_version: ifVersion, ...change }),

    'card/archive': async ({ key, ifVersion, archived }) => this.writeCard(archived ? 'cards.archive' : 'cards.restore', { card_key: key, if_version: ifVersion }),

    'card/history': async ({ key }) => this.api.call('cardHistory', { params: { key } }),

    'card/run': async ({ key, instructions }) =>
      this.call(CARD_RUN_TOOL, { card_key: key, ...(instructions ? { instructions } : {}) }, { correlationId: cardCorrelationId(key) }),

    'card/branch': async ({ key, action }) => {
      if (!this.deps.cardBranch) throw handlerError('not_implemented', 'this editor host cannot open diffs or check out branches');
      await this.deps.cardBranch(key, action);
      return null;
    },

    'brand/load': async ({ profileId }) => {
      const tools = await this.tools();
      const getTool = tools.find((t) => t.name === BRAND_GET_TOOL);
      const schema = (getTool?.outputSchema as { properties?: { brand?: unknown } } | undefined)?.properties?.brand;
      if (!schema) throw handlerError('not_found', `the registry has no ${BRAND_GET_TOOL} tool with a brand schema`);
      // Reads are not runs: opening the Brain must not fill the Runs view.
      const [profile, history] = await Promise.all([
        this.api.call('getBrand', { params: { profileId } }).then(
          (p) => p.brand,
          (err: unknown) => {
            if ((err as { code?: unknown }).code === 'not_found') return null;
            throw err;
          },
        ),
        this.api.call('brandHistory', { params: { profileId } }),
      ]);
      return { profile, schema, versions: history.versions };
    },

    'brand/save': async ({ profileId, patch }) => this.brandWrite(BRAND_UPDATE_TOOL, { profile_id: profileId, patch }),

    'brand/revert': async ({ profileId, version }) => this.brandWrite(BRAND_REVERT_TOOL, { profile_id: profileId, version }),

    'events/catalog': async () => this.api.call('eventCatalog', {}),

    'tools/list': async () => ({ tools: await this.tools() }),

    'tool/call': async ({ tool, input, correlationId, wait }) => this.call(tool, input, { correlationId, wait }),

    'runs/list': async (params) => this.api.call('listRuns', { query: params }),

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
          this.api.call('getRun', { params: { id } }),
          this.api.call('listLogs', { query: { runId: id, limit: 1000 } }).catch(() => ({ lines: [] })),
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

    'run/usage': async ({ id }) => this.api.call('runUsage', { params: { id } }),
    'usage/daily': async ({ days }) => this.api.call('dailyUsage', { query: days === undefined ? {} : { days } }),
    'run/approve': async ({ id, reason }) => this.api.call('approveRun', { params: { id }, body: reason ? { reason } : {} }),
    'run/deny': async ({ id, reason }) => this.api.call('denyRun', { params: { id }, body: reason ? { reason } : {} }),
    'run/cancel': async ({ id }) => this.api.call('cancelRun', { params: { id } }),

    'run/retry': async ({ id }) => {
      const old = await this.api.call('getRun', { params: { id } });
      if (typeof old.input !== 'object' || old.input === null || Array.isArray(old.input)) throw handlerError('invalid_state', `run ${id} has no input object to submit again`);
      return this.api.call('createRun', {
        body: {
          tool: old.tool,
          input: old.input as Record<string, unknown>,
          ...(old.correlationId ? { correlationId: old.correlationId } : {}),
          ...(Object.keys(old.labels ?? {}).length > 0 ? { labels: old.labels } : {}),
        },
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
