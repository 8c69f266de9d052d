/**
 * The messages between the extension host and the webview panels, declared once and imported
 * by both sides (GitLens' IpcCommand/IpcRequest/IpcNotification pattern). Webviews never call
 * the backend: they send a request here, the extension host calls the backend and answers.
 *
 * - Request: webview → host, with an `id`; the host answers with a Response of the same id.
 * - Notification: host → webview, pushed (run changes, log lines, board changes).
 * Every message is validated on arrival (see `isWebviewRequest`): a malformed one is answered
 * with an error naming what was wrong and changes nothing.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import {
  BrandVersion as BrandVersionSchema,
  Card as CardSchema,
  CardEvent as CardEventSchema,
  Lane as LaneSchema,
  ListRunsQuery as ListRunsQuerySchema,
  LogLine as LogLineSchema,
  PatchCardBody as PatchCardBodySchema,
  Run as RunSchema,
  RunEvent as RunEventSchema,
  RunPage as RunPageSchema,
  ToolInfo as ToolInfoSchema,
} from '../../backend/api/protocol';
import type { Card, CardEvent, Lane, LogLine, Run, RunEvent, ToolInfo, BrandVersion, RunPage, ListRunsQuery, PatchCardBody } from '../../backend/api/protocol';
import { validate, type Violation } from './json-schema';

import { PANEL_KINDS, type PanelKind } from './protocol-kinds';
export { PANEL_KINDS, type PanelKind };

/** Each request: its params and what the host answers. */
export interface RequestMap {
  'board/load': { params: Record<string, never>; result: { lanes: Lane[]; cards: Card[] } };
  /** A move: the lane and position to save, at the version the board shows (409 otherwise). */
  'card/move': { params: { key: string; ifVersion: number; lane: string; position: number }; result: Card };
  'card/update': { params: { key: string } & PatchCardBody; result: Card };
  'card/history': { params: { key: string }; result: { events: CardEvent[]; runs: Run[] } };
  'card/run': { params: { key: string; instructions?: string }; result: Run };
  'brand/load': { params: { profileId: string }; result: { profile: unknown | null; schema: unknown; versions: BrandVersion[] } };
  'brand/save': { params: { profileId: string; patch: Record<string, unknown> }; result: Run };
  'brand/revert': { params: { profileId: string; version: number }; result: Run };
  'tools/list': { params: Record<string, never>; result: { tools: ToolInfo[] } };
  /** With `wait`, the host answers once the run has ended (or waits for approval); its output is in `result.output`. */
  'tool/call': { params: { tool: string; input: Record<string, unknown>; correlationId?: string; wait?: boolean }; result: Run };
  'runs/list': { params: ListRunsQuery; result: RunPage };
  'run/get': { params: { id: string }; result: { run: Run; events: RunEvent[]; logs: LogLine[] } };
  'run/approve': { params: { id: string; reason?: string }; result: Run };
  'run/deny': { params: { id: string; reason?: string }; result: Run };
  'run/cancel': { params: { id: string }; result: Run };
  'run/retry': { params: { id: string }; result: Run };
  'ui/showMessage': { params: { level: 'info' | 'warning' | 'error'; message: string }; result: null };
  /** Stop the live events and log lines that `run/get` started for this panel. */
  'run/unwatch': { params: Record<string, never>; result: null };
  /** Open (or reveal) another panel, optionally focused on a run or a card. */
  'ui/openPanel': { params: { panel: PanelKind; runId?: string; cardKey?: string }; result: null };
}
export type RequestMethod = keyof RequestMap;

export interface WebviewRequest<M extends RequestMethod = RequestMethod> {
  kind: 'request';
  id: number;
  method: M;
  params: RequestMap[M]['params'];
}

export type HostResponse<M extends RequestMethod = RequestMethod> =
  | { kind: 'response'; id: number; ok: true; result: RequestMap[M]['result'] }
  | { kind: 'response'; id: number; ok: false; error: { code: string; message: string; details?: unknown } };

/** Pushed by the host; buffered by it while the panel is hidden (hidden webviews drop messages). */
export type HostNotification =
  | { kind: 'notification'; type: 'run/changed'; run: Run }
  | { kind: 'notification'; type: 'run/event'; event: RunEvent }
  | { kind: 'notification'; type: 'log/line'; line: LogLine }
  | { kind: 'notification'; type: 'board/changed'; card: Card }
  | { kind: 'notification'; type: 'backend/state'; state: 'starting' | 'ready' | 'down'; message?: string }
  /** Show this run or card (sent when another panel or a command opens this one focused). */
  | { kind: 'notification'; type: 'panel/focus'; runId?: string; cardKey?: string }
  /** More was buffered while the panel was hidden than the host keeps: reload what is shown. */
  | { kind: 'notification'; type: 'panel/resync' }
  /** A message from the webview was malformed and had no id to answer. */
  | { kind: 'notification'; type: 'protocol/error'; message: string };

export type HostMessage = HostResponse | HostNotification;

/** The first message a webview sends once its script runs: the host then flushes its buffer. */
export interface WebviewReady {
  kind: 'ready';
  panel: PanelKind;
}

export type WebviewMessage = WebviewRequest | WebviewReady;

export function isWebviewMessage(value: unknown): value is WebviewMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  if (m.kind === 'ready') return typeof m.panel === 'string';
  return m.kind === 'request' && Number.isSafeInteger(m.id) && typeof m.method === 'string' && typeof m.params === 'object' && m.params !== null;
}

// ---------------------------------------------------------------------------------------------
// JSON Schemas of every message, checked on arrival at both ends (webviews/common/json-schema.ts
// interprets them: a webview's CSP forbids Ajv's generated code). The card, run and log shapes
// are the backend's own schemas, so the three sides share one definition.
// ---------------------------------------------------------------------------------------------

const Empty = Type.Object({}, { additionalProperties: false });
const CardKey = Type.String({ pattern: '^[A-Z][A-Z0-9]*-[0-9]+$', maxLength: 64 });
const Id = Type.String({ minLength: 1, maxLength: 100 });
const ProfileId = Type.String({ minLength: 1, maxLength: 200 });
const PanelKindSchema = Type.Union(PANEL_KINDS.map((k) => Type.Literal(k)));
const Reason = Type.Optional(Type.String({ maxLength: 2000 }));

export const REQUEST_SCHEMAS = {
  'board/load': { params: Empty, result: Type.Object({ lanes: Type.Array(LaneSchema), cards: Type.Array(CardSchema) }) },
  'card/move': {
    params: Type.Object(
      { key: CardKey, ifVersion: PatchCardBodySchema.properties.ifVersion, lane: Type.String({ minLength: 1, maxLength: 100 }), position: Type.Number() },
      { additionalProperties: false },
    ),
    result: CardSchema,
  },
  'card/update': {
    params: Type.Object({ key: CardKey, ...PatchCardBodySchema.properties }, { additionalProperties: false, minProperties: 3 }),
    result: CardSchema,
  },
  'card/history': { params: Type.Object({ key: CardKey }, { additionalProperties: false }), result: Type.Object({ events: Type.Array(CardEventSchema), runs: Type.Array(RunSchema) }) },
  'card/run': { params: Type.Object({ key: CardKey, instructions: Type.Optional(Type.String({ maxLength: 20000 })) }, { additionalProperties: false }), result: RunSchema },
  'brand/load': {
    params: Type.Object({ profileId: ProfileId }, { additionalProperties: false }),
    result: Type.Object({ profile: Type.Unknown(), schema: Type.Unknown(), versions: Type.Array(BrandVersionSchema) }),
  },
  'brand/save': { params: Type.Object({ profileId: ProfileId, patch: Type.Record(Type.String(), Type.Unknown()) }, { additionalProperties: false }), result: RunSchema },
  'brand/revert': { params: Type.Object({ profileId: ProfileId, version: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }), result: RunSchema },
  'tools/list': { params: Empty, result: Type.Object({ tools: Type.Array(ToolInfoSchema) }) },
  'tool/call': {
    params: Type.Object(
      {
        tool: Type.String({ minLength: 1, maxLength: 200 }),
        input: Type.Record(Type.String(), Type.Unknown()),
        correlationId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        wait: Type.Optional(Type.Boolean()),
      },
      { additionalProperties: false },
    ),
    result: RunSchema,
  },
  'runs/list': { params: ListRunsQuerySchema, result: RunPageSchema },
  'run/get': {
    params: Type.Object({ id: Id }, { additionalProperties: false }),
    result: Type.Object({ run: RunSchema, events: Type.Array(RunEventSchema), logs: Type.Array(LogLineSchema) }),
  },
  'run/approve': { params: Type.Object({ id: Id, reason: Reason }, { additionalProperties: false }), result: RunSchema },
  'run/deny': { params: Type.Object({ id: Id, reason: Reason }, { additionalProperties: false }), result: RunSchema },
  'run/cancel': { params: Type.Object({ id: Id }, { additionalProperties: false }), result: RunSchema },
  'run/retry': { params: Type.Object({ id: Id }, { additionalProperties: false }), result: RunSchema },
  'ui/showMessage': {
    params: Type.Object(
      { level: Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('error')]), message: Type.String({ minLength: 1, maxLength: 2000 }) },
      { additionalProperties: false },
    ),
    result: Type.Null(),
  },
  'run/unwatch': { params: Empty, result: Type.Null() },
  'ui/openPanel': {
    params: Type.Object({ panel: PanelKindSchema, runId: Type.Optional(Id), cardKey: Type.Optional(CardKey) }, { additionalProperties: false }),
    result: Type.Null(),
  },
} satisfies { [M in RequestMethod]: { params: TSchema; result: TSchema } };

/** Compile-time check that the schemas describe the declared types (a schema may be stricter). */
type Assignable<A, B> = A extends B ? true : false;
type ParamsMatch = { [M in RequestMethod]: Assignable<Static<(typeof REQUEST_SCHEMAS)[M]['params']>, RequestMap[M]['params']> };
const paramsMatch: ParamsMatch = {
  'board/load': true, 'card/move': true, 'card/update': true, 'card/history': true, 'card/run': true, 'brand/load': true, 'brand/save': true,
  'brand/revert': true, 'tools/list': true, 'tool/call': true, 'runs/list': true, 'run/get': true, 'run/approve': true, 'run/deny': true,
  'run/cancel': true, 'run/retry': true, 'ui/showMessage': true, 'run/unwatch': true, 'ui/openPanel': true,
};
void paramsMatch;

const notification = <P extends Record<string, TSchema>>(type: string, props: P) =>
  Type.Object({ kind: Type.Literal('notification'), type: Type.Literal(type), ...props }, { additionalProperties: false });

export const NOTIFICATION_SCHEMAS: Record<HostNotification['type'], TSchema> = {
  'run/changed': notification('run/changed', { run: RunSchema }),
  'run/event': notification('run/event', { event: RunEventSchema }),
  'log/line': notification('log/line', { line: LogLineSchema }),
  'board/changed': notification('board/changed', { card: CardSchema }),
  'backend/state': notification('backend/state', {
    state: Type.Union([Type.Literal('starting'), Type.Literal('ready'), Type.Literal('down')]),
    message: Type.Optional(Type.String()),
  }),
  'panel/focus': notification('panel/focus', { runId: Type.Optional(Id), cardKey: Type.Optional(CardKey) }),
  'panel/resync': notification('panel/resync', {}),
  'protocol/error': notification('protocol/error', { message: Type.String() }),
};

const ErrorSchema = Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) });
const ResponseSchema = Type.Union([
  Type.Object({ kind: Type.Literal('response'), id: Type.Integer(), ok: Type.Literal(true), result: Type.Unknown() }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('response'), id: Type.Integer(), ok: Type.Literal(false), error: ErrorSchema }, { additionalProperties: false }),
]);

export type Checked<T> = { ok: true; message: T } | { ok: false; id?: number; error: string; violations: Violation[] };

function fail<T>(error: string, violations: Violation[] = [], id?: number): Checked<T> {
  return { ok: false, error, violations, ...(id === undefined ? {} : { id }) };
}

function summarize(violations: Violation[], max = 3): string {
  const shown = violations.slice(0, max).map((v) => v.message);
  return shown.join('; ') + (violations.length > max ? `; and ${violations.length - max} more` : '');
}

export function isRequestMethod(m: unknown): m is RequestMethod {
  return typeof m === 'string' && Object.prototype.hasOwnProperty.call(REQUEST_SCHEMAS, m);
}

/** Checks a message from a webview (on the host side). A failure names what was wrong. */
export function checkWebviewMessage(value: unknown): Checked<WebviewMessage> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('the message is not an object');
  const m = value as Record<string, unknown>;
  if (m.kind === 'ready') {
    if (!(PANEL_KINDS as readonly unknown[]).includes(m.panel)) return fail(`"ready" names an unknown panel ${JSON.stringify(m.panel)}`);
    return { ok: true, message: { kind: 'ready', panel: m.panel as PanelKind } };
  }
  if (m.kind !== 'request') return fail(`unknown message kind ${JSON.stringify(m.kind)} (expected "request" or "ready")`);
  if (!Number.isSafeInteger(m.id)) return fail('the request has no integer id');
  const id = m.id as number;
  if (!isRequestMethod(m.method)) return fail(`unknown method ${JSON.stringify(m.method)}`, [], id);
  const params = m.params ?? {};
  const violations = validate(REQUEST_SCHEMAS[m.method].params, params, '/params');
  if (violations.length > 0) return fail(`${m.method}: ${summarize(violations)}`, violations, id);
  return { ok: true, message: { kind: 'request', id, method: m.method, params } as WebviewRequest };
}

/**
 * Checks a message from the host (on the webview side). `methodOf` tells which method a response
 * id answers, so its result is checked against that method's schema.
 */
export function checkHostMessage(value: unknown, methodOf: (id: number) => RequestMethod | undefined): Checked<HostMessage> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('the message is not an object');
  const m = value as Record<string, unknown>;
  if (m.kind === 'response') {
    const shape = validate(ResponseSchema, m);
    if (shape.length > 0) return fail(`malformed response: ${summarize(shape)}`, shape, Number.isSafeInteger(m.id) ? (m.id as number) : undefined);
    const method = methodOf(m.id as number);
    if (m.ok === true && method) {
      const violations = validate(REQUEST_SCHEMAS[method].result, m.result, '/result');
      if (violations.length > 0) return fail(`${method} answered with ${summarize(violations)}`, violations, m.id as number);
    }
    return { ok: true, message: m as unknown as HostResponse };
  }
  if (m.kind === 'notification') {
    const schema = typeof m.type === 'string' ? NOTIFICATION_SCHEMAS[m.type as HostNotification['type']] : undefined;
    if (!schema) return fail(`unknown notification ${JSON.stringify(m.type)}`);
    const violations = validate(schema, m);
    if (violations.length > 0) return fail(`${m.type as string}: ${summarize(violations)}`, violations);
    return { ok: true, message: m as unknown as HostNotification };
  }
  return fail(`unknown message kind ${JSON.stringify(m.kind)} (expected "response" or "notification")`);
}
