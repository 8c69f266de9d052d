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
import type { Card, CardEvent, Lane, LogLine, Run, RunEvent, ToolInfo, BrandVersion, RunPage, ListRunsQuery, PatchCardBody } from '../../backend/api/protocol';

export type PanelKind = 'kanban' | 'brain' | 'insights' | 'runs' | 'serviceMap';

/** Each request: its params and what the host answers. */
export interface RequestMap {
  'board/load': { params: Record<string, never>; result: { lanes: Lane[]; cards: Card[] } };
  'card/move': { params: { key: string } & PatchCardBody; result: Card };
  'card/update': { params: { key: string } & PatchCardBody; result: Card };
  'card/history': { params: { key: string }; result: { events: CardEvent[]; runs: Run[] } };
  'card/run': { params: { key: string; instructions?: string }; result: Run };
  'brand/load': { params: { profileId: string }; result: { profile: unknown | null; schema: unknown; versions: BrandVersion[] } };
  'brand/save': { params: { profileId: string; patch: Record<string, unknown> }; result: Run };
  'brand/revert': { params: { profileId: string; version: number }; result: Run };
  'tools/list': { params: Record<string, never>; result: { tools: ToolInfo[] } };
  'tool/call': { params: { tool: string; input: Record<string, unknown>; correlationId?: string }; result: Run };
  'runs/list': { params: ListRunsQuery; result: RunPage };
  'run/get': { params: { id: string }; result: { run: Run; events: RunEvent[]; logs: LogLine[] } };
  'run/approve': { params: { id: string; reason?: string }; result: Run };
  'run/deny': { params: { id: string; reason?: string }; result: Run };
  'run/cancel': { params: { id: string }; result: Run };
  'run/retry': { params: { id: string }; result: Run };
  'ui/showMessage': { params: { level: 'info' | 'warning' | 'error'; message: string }; result: null };
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
  | { kind: 'notification'; type: 'backend/state'; state: 'starting' | 'ready' | 'down'; message?: string };

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
