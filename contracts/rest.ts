/**
 * The protocol between backend, extension and webviews, declared once: each TypeBox schema is
 * both the JSON Schema the API validates and documents (OpenAPI) and the TypeScript type the
 * extension and webviews import. Nothing crosses a boundary as `any`.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** Versions are Postgres integers: anything larger is refused at the boundary, not by the store. */
const MAX_INT4 = 2147483647;
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Json = Type.Unknown({ description: 'any JSON value' });
const Timestamp = Type.String({ format: 'date-time' });

export const RUN_STATUSES = ['queued', 'awaiting_approval', 'dispatching', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'] as const;
export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled', 'timed_out']);
export const RunStatus = Type.Union(RUN_STATUSES.map((s) => Type.Literal(s)));
export type RunStatus = (typeof RUN_STATUSES)[number];

export const ErrorBody = Type.Object(
  {
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Json),
    retryable: Type.Optional(Type.Boolean()),
  },
);
export const ErrorResponse = Type.Object({ error: ErrorBody });
export type ErrorResponse = Static<typeof ErrorResponse>;

export const Labels = Type.Record(Type.String({ maxLength: 100 }), Type.String({ maxLength: 500 }), { maxProperties: 50 });

export const Run = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    tool: Type.String(),
    status: RunStatus,
    risk: Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')]),
    input: Json,
    output: Type.Optional(Json),
    error: Type.Optional(ErrorBody),
    labels: Labels,
    priority: Type.Integer(),
    caller: Type.String(),
    idempotencyKey: Nullable(Type.String()),
    correlationId: Nullable(Type.String()),
    traceId: Type.String(),
    version: Type.Integer({ minimum: 1 }),
    attempt: Type.Integer({ minimum: 0 }),
    maxAttempts: Type.Integer({ minimum: 1 }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    startedAt: Nullable(Timestamp),
    finishedAt: Nullable(Timestamp),
    /** Where it executed: "local" (in the backend's process), "docker" (a worker container) or the remote executor's URL; absent until it starts. */
    executedOn: Type.Optional(Type.String()),
  },
);
export type Run = Static<typeof Run>;

export const RunEvent = Type.Object(
  {
    id: Type.Integer(),
    runId: Type.String(),
    type: Type.Union([Type.Literal('state'), Type.Literal('progress'), Type.Literal('log'), Type.Literal('output')]),
    data: Json,
    createdAt: Timestamp,
  },
);
export type RunEvent = Static<typeof RunEvent>;
/** `data` of a `state` event. */
export interface StateEventData {
  from: RunStatus | null;
  to: RunStatus;
  reason?: string;
}
/** `data` of a `progress` event. */
export interface ProgressEventData {
  progress: number;
  total?: number;
  message?: string;
}

export const LogLine = Type.Object(
  {
    id: Type.Integer(),
    ts: Timestamp,
    level: Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')]),
    source: Type.String(),
    runId: Nullable(Type.String()),
    message: Type.String(),
    fields: Type.Record(Type.String(), Json),
  },
);
export type LogLine = Static<typeof LogLine>;
export type LogLevel = LogLine['level'];

export const ToolInfo = Type.Object(
  {
    name: Type.String(),
    title: Type.String(),
    description: Type.String(),
    module: Type.String(),
    risk: Type.String(),
    executor: Type.String(),
    available: Type.Boolean({ description: 'false while the executor for this tool is not implemented or not configured' }),
    unavailableReason: Type.Optional(Type.String()),
    inputSchema: Json,
    outputSchema: Json,
  },
);
export type ToolInfo = Static<typeof ToolInfo>;

export const CreateRunBody = Type.Object(
  {
    tool: Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_.-]+$' }),
    input: Type.Record(Type.String(), Json),
    idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    correlationId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    labels: Type.Optional(Labels),
    priority: Type.Optional(Type.Integer({ minimum: -100, maximum: 100 })),
  },
  { additionalProperties: false },
);
export type CreateRunBody = Static<typeof CreateRunBody>;

export const PatchRunBody = Type.Object(
  {
    ifVersion: Type.Integer({ minimum: 1, maximum: MAX_INT4 }),
    labels: Type.Optional(Labels),
    priority: Type.Optional(Type.Integer({ minimum: -100, maximum: 100 })),
  },
  { additionalProperties: false, minProperties: 2 },
);
export type PatchRunBody = Static<typeof PatchRunBody>;

export const DecisionBody = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 2000 })), ifVersion: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_INT4 })) },
  { additionalProperties: false },
);
export type DecisionBody = Static<typeof DecisionBody>;

export const ListRunsQuery = Type.Object(
  {
    status: Type.Optional(Type.String({ pattern: `^(${RUN_STATUSES.join('|')})(,(${RUN_STATUSES.join('|')}))*$`, description: 'one status or several, comma-separated' })),
    tool: Type.Optional(Type.String({ maxLength: 200 })),
    correlationId: Type.Optional(Type.String({ maxLength: 200 })),
    since: Type.Optional(Timestamp),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  },
  { additionalProperties: false },
);
export type ListRunsQuery = Static<typeof ListRunsQuery>;
export const RunPage = Type.Object({ runs: Type.Array(Run), nextCursor: Nullable(Type.String()) });
export type RunPage = Static<typeof RunPage>;

export const ListLogsQuery = Type.Object(
  {
    runId: Type.Optional(Type.String({ format: 'uuid' })),
    level: Type.Optional(Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')])),
    afterId: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200 })),
  },
  { additionalProperties: false },
);
export type ListLogsQuery = Static<typeof ListLogsQuery>;

export const Lane = Type.Object({ id: Type.String(), name: Type.String(), position: Type.Integer() });
export type Lane = Static<typeof Lane>;
export const CARD_KEY_PATTERN = '^[A-Z][A-Z0-9]*-[0-9]+$';
/** Runs started about a card carry this correlation id, so the card's history lists them. */
export const cardCorrelationId = (key: string): string => `card:${key}`;
/** Whether a run is about a card: started from it, or a cards.* run on it (the store's card history reads the same). */
export const runIsAboutCard = (run: { tool: string; input: unknown; correlationId: string | null }, key: string): boolean =>
  run.correlationId === cardCorrelationId(key) || (run.tool.startsWith('cards.') && (run.input as { card_key?: unknown } | null)?.card_key === key);
export const CARD_PRIORITIES = ['none', 'low', 'medium', 'high', 'urgent'] as const;
export const CardPriority = Type.Unsafe<(typeof CARD_PRIORITIES)[number]>({ type: 'string', enum: [...CARD_PRIORITIES] });
export type CardPriority = (typeof CARD_PRIORITIES)[number];
/** A card as the board, the Cards view and the cards.* tools' outputs show it (one declaration). */
export const Card = Type.Object(
  {
    id: Type.String(),
    key: Type.String({ pattern: CARD_KEY_PATTERN }),
    title: Type.String(),
    description: Type.String(),
    lane: Type.String(),
    position: Type.Number(),
    labels: Type.Array(Type.String()),
    priority: CardPriority,
    archived: Type.Boolean(),
    version: Type.Integer(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false },
);
export type Card = Static<typeof Card>;
export const CardEvent = Type.Object(
  { id: Type.Integer(), cardKey: Type.String(), type: Type.String(), actor: Type.String(), data: Json, runId: Nullable(Type.String()), createdAt: Timestamp },
);
export type CardEvent = Static<typeof CardEvent>;
/** A card's history in one answer: its events and the runs about it (agent runs, writes). */
export const CardHistory = Type.Object({ events: Type.Array(CardEvent), runs: Type.Array(Run) });
export type CardHistory = Static<typeof CardHistory>;
export const ListCardsQuery = Type.Object(
  {
    lane: Type.Optional(Type.String({ maxLength: 100 })),
    archived: Type.Optional(Type.Boolean({ description: 'true: only archived cards; default: only cards on the board' })),
  },
  { additionalProperties: false },
);
export type ListCardsQuery = Static<typeof ListCardsQuery>;

/**
 * The fields a person or an agent may write on a card. The cards.* tools in the registry state
 * the same constraints in snake_case (a unit test keeps the two equal); the webview messages
 * are built from these.
 */
export const CardFields = {
  title: Type.String({ minLength: 1, maxLength: 300 }),
  description: Type.String({ maxLength: 50000 }),
  lane: Type.String({ minLength: 1, maxLength: 100 }),
  labels: Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 20, uniqueItems: true }),
  priority: CardPriority,
  /** Positions are fractional (a card dropped between two takes the middle) but always finite. */
  position: Type.Number({ minimum: -1e15, maximum: 1e15 }),
  ifVersion: Type.Integer({ minimum: 1, maximum: MAX_INT4 }),
};
export const CreateCardBody = Type.Object(
  {
    title: CardFields.title,
    description: Type.Optional(CardFields.description),
    lane: Type.Optional(CardFields.lane),
    labels: Type.Optional(CardFields.labels),
    priority: Type.Optional(CardFields.priority),
  },
  { additionalProperties: false },
);
export type CreateCardBody = Static<typeof CreateCardBody>;
/** `data` of a board stream event: a card as a cards.* run left it. */
export const BoardChange = Type.Object({ card: Card, runId: Type.String(), tool: Type.String() });
export type BoardChange = Static<typeof BoardChange>;

export const WaitRunQuery = Type.Object(
  {
    timeoutMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000, default: 30_000, description: 'answer with the run as it stands after this long' })),
    until: Type.Optional(Type.Union([Type.Literal('terminal'), Type.Literal('settled')], { default: 'terminal', description: 'settled: also stop at awaiting_approval' })),
  },
  { additionalProperties: false },
);
export type WaitRunQuery = Static<typeof WaitRunQuery>;

export const BrandProfile = Type.Object({ profileId: Type.String(), version: Type.Integer(), brand: Json, updatedAt: Timestamp });
export type BrandProfile = Static<typeof BrandProfile>;

export const BrandVersion = Type.Object(
  { profileId: Type.String(), version: Type.Integer(), brand: Json, changedBy: Type.String(), runId: Nullable(Type.String()), createdAt: Timestamp },
);
export type BrandVersion = Static<typeof BrandVersion>;

export const SettingReport = Type.Object(
  {
    name: Type.String(),
    status: Type.Union([Type.Literal('ok'), Type.Literal('missing'), Type.Literal('invalid')]),
    required: Type.Boolean(),
    message: Type.String(),
    value: Type.Optional(Type.String()),
  },
);
export const ConfigReport = Type.Object({ ok: Type.Boolean(), settings: Type.Array(SettingReport) });
export type ConfigReport = Static<typeof ConfigReport>;

export const Health = Type.Object(
  {
    status: Type.Literal('ok'),
    version: Type.String(),
    instanceId: Type.String(),
    store: Type.Union([Type.Literal('pglite'), Type.Literal('postgres')]),
    role: Type.String(),
    activeRuns: Type.Integer(),
    uptimeSeconds: Type.Number(),
  },
);
export type Health = Static<typeof Health>;
/** What /health tells a caller without the token: only that the backend is alive. */
export const Liveness = Type.Object({ status: Type.Literal('ok'), version: Type.String() }, { additionalProperties: false });

// ---- directives (the ops tools' settings, versioned) ----------------------------------------

const DirectiveConfig = Type.Record(Type.String(), Type.Unknown(), { description: 'The directive\'s settings (JSON object); D1–D3\'s tools check theirs against a schema.' });
export const DirectiveId = Type.String({ pattern: '^D[1-9][0-9]{0,8}$', description: 'D1, D2, …' });

export const Directive = Type.Object({
  id: Type.String(),
  name: Type.String(),
  tool: Type.String(),
  kind: Type.Union([Type.Literal('default'), Type.Literal('custom')]),
  version: Type.Integer({ minimum: 1 }),
  text: Type.String(),
  config: DirectiveConfig,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Directive = Static<typeof Directive>;

export const DirectiveVersion = Type.Object({
  version: Type.Integer({ minimum: 1 }),
  name: Type.String(),
  text: Type.String(),
  config: DirectiveConfig,
  changedBy: Type.String(),
  createdAt: Timestamp,
});
export type DirectiveVersion = Static<typeof DirectiveVersion>;

export const DirectiveWithVersions = Type.Composite([Directive, Type.Object({ versions: Type.Array(DirectiveVersion) })]);

export const DirectiveSnapshot = Type.Object({ id: Type.String(), name: Type.String(), version: Type.Integer(), text: Type.String(), config: DirectiveConfig });

const DirectiveName = Type.String({ minLength: 1, maxLength: 200 });
const DirectiveText = Type.String({ minLength: 1, maxLength: 20_000 });

export const CreateDirectiveBody = Type.Object(
  {
    name: DirectiveName,
    tool: Type.String({ minLength: 1, maxLength: 200, description: 'A tool of the registry.' }),
    text: DirectiveText,
    config: Type.Optional(DirectiveConfig),
  },
  { additionalProperties: false },
);
export type CreateDirectiveBody = Static<typeof CreateDirectiveBody>;

export const UpdateDirectiveBody = Type.Object(
  {
    ifVersion: Type.Integer({ minimum: 1, maximum: MAX_INT4, description: 'The version the edit was made from; a stale one answers 409.' }),
    name: Type.Optional(DirectiveName),
    text: Type.Optional(DirectiveText),
    config: Type.Optional(DirectiveConfig),
  },
  { additionalProperties: false, minProperties: 2 },
);
export type UpdateDirectiveBody = Static<typeof UpdateDirectiveBody>;

/**
 * What the event store holds, for picking a funnel's steps, a driver's target and the properties
 * to consider (GET /api/events/catalog, a read: not a run). Bounded: the 500 most frequent event
 * names and the 200 most frequent property keys. Times are ISO 8601 UTC.
 */
export const EventCatalog = Type.Object(
  {
    engine: Type.String({ description: 'Where the events live: duckdb or bigquery.' }),
    events: Type.Array(
      Type.Object(
        { name: Type.String(), events: Type.Integer({ minimum: 0 }), users: Type.Integer({ minimum: 0 }), firstSeen: Type.String(), lastSeen: Type.String() },
        { additionalProperties: false },
      ),
    ),
    properties: Type.Array(
      Type.Object({ key: Type.String(), events: Type.Integer({ minimum: 0 }), values: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
    ),
    totals: Type.Object(
      { events: Type.Integer({ minimum: 0 }), users: Type.Integer({ minimum: 0 }), firstSeen: Type.Union([Type.String(), Type.Null()]), lastSeen: Type.Union([Type.String(), Type.Null()]) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type EventCatalog = Static<typeof EventCatalog>;
