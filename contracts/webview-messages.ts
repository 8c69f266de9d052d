/**
 * The messages between the extension host and the webview panels, declared once as schemas
 * whose TypeScript types are derived from them (GitLens' IpcCommand/IpcRequest/IpcNotification
 * pattern). Webviews never call the backend: they send a request here, the extension host calls
 * the backend and answers.
 *
 * - Request: webview → host, with an `id`; the host answers with a Response of the same id.
 * - Notification: host → webview, pushed (run changes, log lines, board changes).
 * - Ready: the first message a webview sends once its script runs; the host then flushes what
 *   it buffered while the panel was hidden.
 *
 * Every message is checked on arrival at both ends (webviews/common/protocol.ts). The card, run
 * and log shapes are the REST API's own schemas, so the three sides share one definition.
 * Imported by the webview bundle too: nothing here may import a Node module.
 */
import { Type, type Static, type TProperties, type TSchema } from '@sinclair/typebox';
import {
  BrandVersion,
  CARD_KEY_PATTERN,
  Card,
  CardFields,
  CardHistory,
  CreateCardBody,
  EventCatalog,
  Lane,
  ListRunsQuery,
  LogLine,
  Run,
  RunEvent,
  RunPage,
  ToolInfo,
} from './rest';
import { DailyUsage, RunUsage } from './llm-usage';
import { PANEL_KINDS, type PanelKind } from './panel-kinds';

export { PANEL_KINDS, type PanelKind };

const Empty = Type.Object({}, { additionalProperties: false });
const CardKey = Type.String({ pattern: CARD_KEY_PATTERN, maxLength: 64 });
const Id = Type.String({ minLength: 1, maxLength: 100 });
const ProfileId = Type.String({ minLength: 1, maxLength: 200 });
export const PanelKindSchema = Type.Union(PANEL_KINDS.map((k) => Type.Literal(k)));
const Reason = Type.Optional(Type.String({ maxLength: 2000 }));
const Closed = <P extends TProperties>(props: P) => Type.Object(props, { additionalProperties: false });

/** Each request method: its params and what the host answers. */
export const REQUEST_SCHEMAS = {
  'board/load': { params: Empty, result: Type.Object({ lanes: Type.Array(Lane), cards: Type.Array(Card) }) },
  /** A move: the lane and position to save, at the version the board shows (409 otherwise). */
  'card/move': {
    params: Closed({ key: CardKey, ifVersion: CardFields.ifVersion, lane: CardFields.lane, position: CardFields.position }),
    result: Card,
  },
  'card/update': {
    params: Type.Object(
      {
        key: CardKey,
        ifVersion: CardFields.ifVersion,
        title: Type.Optional(CardFields.title),
        description: Type.Optional(CardFields.description),
        labels: Type.Optional(CardFields.labels),
        priority: Type.Optional(CardFields.priority),
      },
      { additionalProperties: false, minProperties: 3 },
    ),
    result: Card,
  },
  'card/create': { params: CreateCardBody, result: Card },
  /** Archive (archived: true) or restore (false) a card, at the version the board shows. */
  'card/archive': { params: Closed({ key: CardKey, ifVersion: CardFields.ifVersion, archived: Type.Boolean() }), result: Card },
  'cards/archived': { params: Empty, result: Type.Object({ cards: Type.Array(Card) }) },
  'card/history': { params: Closed({ key: CardKey }), result: CardHistory },
  'card/run': { params: Closed({ key: CardKey, instructions: Type.Optional(Type.String({ maxLength: 20000 })) }), result: Run },
  /** After a committed card run: open its diff, or check its branch out (the host's Git extension does it). */
  'card/branch': { params: Closed({ key: CardKey, action: Type.Union([Type.Literal('diff'), Type.Literal('checkout')]) }), result: Type.Null() },
  'brand/load': {
    params: Closed({ profileId: ProfileId }),
    /** `profile` is null before the first save; `schema` is the profile's JSON Schema. */
    result: Type.Object({ profile: Type.Unknown(), schema: Type.Unknown(), versions: Type.Array(BrandVersion) }),
  },
  'brand/save': { params: Closed({ profileId: ProfileId, patch: Type.Record(Type.String(), Type.Unknown()) }), result: Run },
  'brand/revert': { params: Closed({ profileId: ProfileId, version: Type.Integer({ minimum: 1 }) }), result: Run },
  /** What the event store holds (event names, property keys, counts, first and last seen): a read, not a run. */
  'events/catalog': { params: Empty, result: EventCatalog },
  'tools/list': { params: Empty, result: Type.Object({ tools: Type.Array(ToolInfo) }) },
  /** With `wait`, the host answers once the run has ended (or waits for approval); its output is in `result.output`. */
  'tool/call': {
    params: Closed({
      tool: Type.String({ minLength: 1, maxLength: 200 }),
      input: Type.Record(Type.String(), Type.Unknown()),
      correlationId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
      wait: Type.Optional(Type.Boolean()),
    }),
    result: Run,
  },
  'runs/list': { params: ListRunsQuery, result: RunPage },
  'run/get': { params: Closed({ id: Id }), result: Type.Object({ run: Run, events: Type.Array(RunEvent), logs: Type.Array(LogLine) }) },
  /** A run's model calls: token counts, provider, model, duration (never their text). */
  'run/usage': { params: Closed({ id: Id }), result: RunUsage },
  /** Model token counts per UTC day, newest first. */
  'usage/daily': { params: Closed({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366 })) }), result: DailyUsage },
  'run/approve': { params: Closed({ id: Id, reason: Reason }), result: Run },
  'run/deny': { params: Closed({ id: Id, reason: Reason }), result: Run },
  'run/cancel': { params: Closed({ id: Id }), result: Run },
  'run/retry': { params: Closed({ id: Id }), result: Run },
  'ui/showMessage': {
    params: Closed({ level: Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('error')]), message: Type.String({ minLength: 1, maxLength: 2000 }) }),
    result: Type.Null(),
  },
  /** Stop the live events and log lines that `run/get` started for this panel. */
  'run/unwatch': { params: Empty, result: Type.Null() },
  /** Open (or reveal) another panel, optionally focused on a run or a card. */
  'ui/openPanel': { params: Closed({ panel: PanelKindSchema, runId: Type.Optional(Id), cardKey: Type.Optional(CardKey) }), result: Type.Null() },
} satisfies Record<string, { params: TSchema; result: TSchema }>;

export type RequestMethod = keyof typeof REQUEST_SCHEMAS;
export type RequestMap = {
  [M in RequestMethod]: { params: Static<(typeof REQUEST_SCHEMAS)[M]['params']>; result: Static<(typeof REQUEST_SCHEMAS)[M]['result']> };
};

export function isRequestMethod(m: unknown): m is RequestMethod {
  return typeof m === 'string' && Object.prototype.hasOwnProperty.call(REQUEST_SCHEMAS, m);
}

/** A request's envelope; its params are checked against the method's own schema. */
export const RequestEnvelope = Type.Object({ kind: Type.Literal('request'), id: Type.Integer(), method: Type.String(), params: Type.Unknown() });
export type WebviewRequest<M extends RequestMethod = RequestMethod> = Omit<Static<typeof RequestEnvelope>, 'method' | 'params'> & {
  method: M;
  params: RequestMap[M]['params'];
};

export const WebviewReadySchema = Type.Object({ kind: Type.Literal('ready'), panel: PanelKindSchema });
export type WebviewReady = Static<typeof WebviewReadySchema>;

export type WebviewMessage = WebviewRequest | WebviewReady;

const notification = <T extends string, P extends TProperties>(type: T, props: P) =>
  Type.Object({ kind: Type.Literal('notification'), type: Type.Literal(type), ...props }, { additionalProperties: false });

/** Pushed by the host; buffered by it while the panel is hidden (hidden webviews drop messages). */
export const NOTIFICATION_SCHEMAS = {
  'run/changed': notification('run/changed', { run: Run }),
  'run/event': notification('run/event', { event: RunEvent }),
  'log/line': notification('log/line', { line: LogLine }),
  'board/changed': notification('board/changed', { card: Card }),
  'backend/state': notification('backend/state', {
    state: Type.Union([Type.Literal('starting'), Type.Literal('ready'), Type.Literal('down')]),
    message: Type.Optional(Type.String()),
  }),
  /** Show this run or card (sent when another panel or a command opens this one focused). */
  'panel/focus': notification('panel/focus', { runId: Type.Optional(Id), cardKey: Type.Optional(CardKey) }),
  /** More was buffered while the panel was hidden than the host keeps: reload what is shown. */
  'panel/resync': notification('panel/resync', {}),
  /** A message from the webview was malformed and had no id to answer. */
  'protocol/error': notification('protocol/error', { message: Type.String() }),
};

export type NotificationType = keyof typeof NOTIFICATION_SCHEMAS;
export type HostNotification = { [T in NotificationType]: Static<(typeof NOTIFICATION_SCHEMAS)[T]> }[NotificationType];

export function isNotificationType(t: unknown): t is NotificationType {
  return typeof t === 'string' && Object.prototype.hasOwnProperty.call(NOTIFICATION_SCHEMAS, t);
}

const ResponseError = Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) });
const OkResponse = Closed({ kind: Type.Literal('response'), id: Type.Integer(), ok: Type.Literal(true), result: Type.Unknown() });
const ErrorResponse = Closed({ kind: Type.Literal('response'), id: Type.Integer(), ok: Type.Literal(false), error: ResponseError });
/** A response's envelope; an ok one's result is checked against the method's result schema. */
export const ResponseSchema = Type.Union([OkResponse, ErrorResponse]);

export type HostResponse<M extends RequestMethod = RequestMethod> =
  | (Omit<Static<typeof OkResponse>, 'result'> & { result: RequestMap[M]['result'] })
  | Static<typeof ErrorResponse>;

export type HostMessage = HostResponse | HostNotification;
