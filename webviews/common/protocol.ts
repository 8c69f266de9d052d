/**
 * The runtime side of the webview ↔ host protocol: checks a message on arrival against the
 * schemas declared in contracts/webview-messages.ts. A malformed message is answered with an
 * error naming what was wrong and changes nothing. Used by the host (extension/panels/channel.ts)
 * and by the webviews (webviews/common/client.ts).
 */
import {
  isNotificationType,
  isRequestMethod,
  NOTIFICATION_SCHEMAS,
  PANEL_KINDS,
  REQUEST_SCHEMAS,
  ResponseSchema,
  type HostMessage,
  type HostNotification,
  type HostResponse,
  type PanelKind,
  type RequestMethod,
  type WebviewMessage,
  type WebviewRequest,
} from '../../contracts/webview-messages';
import { validate, type Violation } from '../../contracts/json-schema';
import { jsonValueProblem } from '../../contracts/strict-json';

// The types are declared in the contract; re-exported so a panel imports one module.
export type {
  HostMessage,
  HostNotification,
  HostResponse,
  NotificationType,
  PanelKind,
  RequestMap,
  RequestMethod,
  WebviewMessage,
  WebviewReady,
  WebviewRequest,
} from '../../contracts/webview-messages';
export { isRequestMethod, NOTIFICATION_SCHEMAS, PANEL_KINDS, REQUEST_SCHEMAS } from '../../contracts/webview-messages';

export type Checked<T> = { ok: true; message: T } | { ok: false; id?: number; error: string; violations: Violation[] };

function fail<T>(error: string, violations: Violation[] = [], id?: number): Checked<T> {
  return { ok: false, error, violations, ...(id === undefined ? {} : { id }) };
}

function summarize(violations: Violation[], max = 3): string {
  const shown = violations.slice(0, max).map((v) => v.message);
  return shown.join('; ') + (violations.length > max ? `; and ${violations.length - max} more` : '');
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
  // The rules every JSON input follows (no prototype keys, finite numbers, well-formed text):
  // postMessage keeps Infinity and lone surrogates that the backend would refuse or coerce.
  const unsafe = jsonValueProblem(params);
  if (unsafe) return fail(`${m.method}: params ${unsafe.message}`, [{ ...unsafe, pointer: `/params${unsafe.pointer}` }], id);
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
    if (!isNotificationType(m.type)) return fail(`unknown notification ${JSON.stringify(m.type)}`);
    const violations = validate(NOTIFICATION_SCHEMAS[m.type], m);
    if (violations.length > 0) return fail(`${m.type}: ${summarize(violations)}`, violations);
    return { ok: true, message: m as unknown as HostNotification };
  }
  return fail(`unknown message kind ${JSON.stringify(m.kind)} (expected "response" or "notification")`);
}
