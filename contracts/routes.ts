/**
 * The REST routes of the backend, declared once: method, path, the schemas of what goes in and
 * what comes back. The server registers its handlers against this map (backend/api/route.ts),
 * the typed client builds its requests from it (contracts/client.ts), and the OpenAPI document
 * is generated from the same schemas. No `/api/…` path is written anywhere else.
 */
import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import {
  BoardChange,
  BrandProfile,
  BrandVersion,
  Card,
  CardHistory,
  CARD_KEY_PATTERN,
  ConfigReport,
  CreateDirectiveBody,
  CreateRunBody,
  DecisionBody,
  Directive,
  DirectiveId,
  DirectiveSnapshot,
  DirectiveWithVersions,
  EventCatalog,
  Health,
  Lane,
  ListCardsQuery,
  ListLogsQuery,
  ListRunsQuery,
  Liveness,
  LogLine,
  PatchRunBody,
  Run,
  RunPage,
  ToolInfo,
  UpdateDirectiveBody,
  WaitRunQuery,
} from './rest';
import { DailyUsage, DailyUsageQuery, RunUsage } from './llm-usage';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface RouteSpec {
  method: HttpMethod;
  /** Fastify's pattern: `:name` segments are the `params`. */
  path: string;
  summary: string;
  params?: TObject;
  query?: TObject;
  body?: TSchema;
  /** The JSON answer on success; absent for Server-Sent Events. */
  response?: TSchema;
  /** Success statuses the answer may come with (default [200]). */
  statuses?: readonly number[];
  /** A Server-Sent Events stream: `event` names and the schema of each one's `data`. */
  events?: Readonly<Record<string, TSchema>>;
  /** Whether a body may be left out (then it is `{}`). */
  optionalBody?: boolean;
  /** Answers without the bearer token (liveness only: it tells nothing else). */
  public?: boolean;
}

const RunId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
const RunUuid = Type.Object({ id: Type.String({ format: 'uuid' }) });
const CardKey = Type.Object({ key: Type.String({ pattern: CARD_KEY_PATTERN, maxLength: 64 }) });
const ProfileId = Type.Object({ profileId: Type.String({ minLength: 1, maxLength: 200 }) });
const LogStreamQuery = Type.Object(
  { runId: Type.Optional(Type.String({ format: 'uuid' })), level: ListLogsQuery.properties.level, lastEventId: Type.Optional(Type.Integer({ minimum: 0 })) },
  { additionalProperties: false },
);
const RunEventData = Type.Unknown({ description: 'a RunEvent' });

export const ROUTES = {
  // ---- system ---------------------------------------------------------------------------------
  health: { method: 'GET', path: '/health', summary: 'Liveness for anyone on this host; with the token, basic facts too', response: Type.Union([Health, Liveness]), public: true },
  validateConfig: { method: 'GET', path: '/config/validate', summary: 'Every setting: ok, missing or invalid, and why', response: ConfigReport },
  listTools: { method: 'GET', path: '/api/tools', summary: 'The tool registry', response: Type.Object({ tools: Type.Array(ToolInfo) }) },

  // ---- runs -----------------------------------------------------------------------------------
  createRun: {
    method: 'POST',
    path: '/api/runs',
    summary: 'Call a tool: validated, policy-checked, stored and queued (200 with the first run when the idempotency key was used)',
    body: CreateRunBody,
    response: Run,
    statuses: [201, 200],
  },
  listRuns: { method: 'GET', path: '/api/runs', summary: 'List runs, newest first', query: ListRunsQuery, response: RunPage },
  getRun: { method: 'GET', path: '/api/runs/:id', summary: 'One run', params: RunId, response: Run },
  waitRun: {
    method: 'GET',
    path: '/api/runs/:id/wait',
    summary: 'The run once it has ended (or, with until=settled, stopped for approval), or as it stands after timeoutMs',
    params: RunId,
    query: WaitRunQuery,
    response: Run,
  },
  patchRun: { method: 'PATCH', path: '/api/runs/:id', summary: 'Change labels or priority, only at the given version (409 otherwise)', params: RunId, body: PatchRunBody, response: Run },
  cancelRun: { method: 'POST', path: '/api/runs/:id/cancel', summary: 'Cancel a run that has not ended', params: RunId, response: Run },
  approveRun: { method: 'POST', path: '/api/runs/:id/approve', summary: 'Approve a run awaiting approval', params: RunId, body: DecisionBody, optionalBody: true, response: Run },
  denyRun: { method: 'POST', path: '/api/runs/:id/deny', summary: 'Deny a run awaiting approval', params: RunId, body: DecisionBody, optionalBody: true, response: Run },
  runEvents: {
    method: 'GET',
    path: '/api/runs/:id/events',
    summary: 'Server-Sent Events of one run; resumable with Last-Event-ID; ends after the final state',
    params: RunId,
    events: { state: RunEventData, progress: RunEventData, log: RunEventData, output: RunEventData },
  },
  runDirective: {
    method: 'GET',
    path: '/api/runs/:id/directive',
    summary: 'The directive snapshot a run used (null when its tool uses none)',
    params: RunUuid,
    response: Type.Object({ runId: Type.String(), directive: Type.Union([DirectiveSnapshot, Type.Null()]) }),
  },
  runUsage: { method: 'GET', path: '/api/runs/:id/usage', summary: 'The model calls of one run: provider, model, token counts and duration (never their text)', params: RunUuid, response: RunUsage },
  dailyUsage: { method: 'GET', path: '/api/usage/daily', summary: 'Model token counts per UTC day, newest first', query: DailyUsageQuery, response: DailyUsage },
  runStream: { method: 'GET', path: '/api/stream', summary: 'Server-Sent Events of every run change (for live views)', events: { run: Run } },

  // ---- logs -----------------------------------------------------------------------------------
  listLogs: { method: 'GET', path: '/api/logs', summary: 'Stored log lines, oldest first after afterId', query: ListLogsQuery, response: Type.Object({ lines: Type.Array(LogLine) }) },
  logStream: { method: 'GET', path: '/api/logs/stream', summary: 'Server-Sent Events of log lines; resumable with Last-Event-ID', query: LogStreamQuery, events: { log: LogLine } },

  // ---- board ----------------------------------------------------------------------------------
  listLanes: { method: 'GET', path: '/api/lanes', summary: 'The board\'s lanes, in order', response: Type.Object({ lanes: Type.Array(Lane) }) },
  listCards: { method: 'GET', path: '/api/cards', summary: 'Cards on the board (or, with archived=true, the archived ones), in lane order', query: ListCardsQuery, response: Type.Object({ cards: Type.Array(Card) }) },
  getCard: { method: 'GET', path: '/api/cards/:key', summary: 'One card', params: CardKey, response: Card },
  cardHistory: { method: 'GET', path: '/api/cards/:key/history', summary: 'A card\'s events and the runs about it, newest runs first', params: CardKey, response: CardHistory },
  boardStream: {
    method: 'GET',
    path: '/api/board/stream',
    summary: 'Server-Sent Events of card changes (each a card as a cards.* run left it), for every open board',
    events: { card: BoardChange },
  },

  // ---- brand ----------------------------------------------------------------------------------
  getBrand: { method: 'GET', path: '/api/brand/:profileId', summary: 'A brand profile as it stands (a read, not a run)', params: ProfileId, response: BrandProfile },
  brandHistory: { method: 'GET', path: '/api/brand/:profileId/history', summary: 'Every version of a brand profile, newest first', params: ProfileId, response: Type.Object({ versions: Type.Array(BrandVersion) }) },

  // ---- events ---------------------------------------------------------------------------------
  eventCatalog: { method: 'GET', path: '/api/events/catalog', summary: 'The event names and property keys the event store holds, with counts and first/last seen (a read, not a run)', response: EventCatalog },

  // ---- directives -----------------------------------------------------------------------------
  listDirectives: {
    method: 'GET',
    path: '/api/directives',
    summary: 'Directives (current versions), D1 first; optionally of one tool',
    query: Type.Object({ tool: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false }),
    response: Type.Object({ directives: Type.Array(Directive) }),
  },
  getDirective: { method: 'GET', path: '/api/directives/:id', summary: 'A directive with every version, oldest first', params: Type.Object({ id: DirectiveId }), response: DirectiveWithVersions },
  createDirective: {
    method: 'POST',
    path: '/api/directives',
    summary: 'Create a custom directive: a tool of the registry plus a config JSON (numbered D5, D6, …)',
    body: CreateDirectiveBody,
    response: Directive,
    statuses: [201],
  },
  updateDirective: {
    method: 'PUT',
    path: '/api/directives/:id',
    summary: 'A new version of a directive, only at the given version (409 otherwise); its tool never changes',
    params: Type.Object({ id: DirectiveId }),
    body: UpdateDirectiveBody,
    response: Directive,
  },
} as const satisfies Record<string, RouteSpec>;

export type Routes = typeof ROUTES;
export type RouteName = keyof Routes;
/** Routes that answer JSON (the others are event streams). */
export type JsonRouteName = { [K in RouteName]: Routes[K] extends { response: TSchema } ? K : never }[RouteName];

type Part<R, P extends string> = R extends { [k in P]: infer S extends TSchema } ? Static<S> : undefined;
export type RouteParams<K extends RouteName> = Part<Routes[K], 'params'>;
export type RouteQuery<K extends RouteName> = Part<Routes[K], 'query'>;
export type RouteBody<K extends RouteName> = Part<Routes[K], 'body'>;
export type RouteResponse<K extends JsonRouteName> = Part<Routes[K], 'response'>;

/** What a call of a route takes: only the parts the route has, required when the route needs them. */
export type RouteArgs<K extends RouteName> = (RouteParams<K> extends undefined ? { params?: undefined } : { params: RouteParams<K> }) &
  (RouteQuery<K> extends undefined ? { query?: undefined } : { query?: Partial<RouteQuery<K>> }) &
  (RouteBody<K> extends undefined ? { body?: undefined } : Routes[K] extends { optionalBody: true } ? { body?: RouteBody<K> } : { body: RouteBody<K> });

/** The path and query string of one call, every parameter encoded. */
export function routeUrl(spec: RouteSpec, params?: Record<string, unknown>, query?: Record<string, unknown>): string {
  const path = spec.path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined || value === null || value === '') throw new Error(`${spec.method} ${spec.path} needs the path parameter "${name}"`);
    return encodeURIComponent(String(value));
  });
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') search.set(k, String(v));
  const qs = search.toString();
  return qs ? `${path}?${qs}` : path;
}
