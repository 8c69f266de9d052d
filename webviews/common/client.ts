/**
 * The webview end of the channel: typed requests answered by the host (the webview never calls
 * the backend), notifications pushed by it, and a check of every message on arrival; a
 * malformed one changes nothing and is reported through `onProtocolError`.
 */
import {
  checkHostMessage,
  type HostNotification,
  type PanelKind,
  type RequestMap,
  type RequestMethod,
} from './protocol';
import type { VsCodeApi } from './vscode-api';

export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

type NotificationOf<T extends HostNotification['type']> = Extract<HostNotification, { type: T }>;
type Listener = (n: HostNotification) => void;

interface Pending {
  method: RequestMethod;
  resolve(value: unknown): void;
  reject(err: RequestError): void;
  timer: ReturnType<typeof setTimeout>;
}

/** How long a request waits for its answer. Tool calls that wait for a run get longer. */
export function timeoutFor(method: RequestMethod, params: unknown): number {
  if (method === 'tool/call' && (params as { wait?: boolean }).wait) return 6 * 60_000;
  if (method === 'brand/save' || method === 'brand/revert' || method === 'brand/load') return 6 * 60_000;
  return 60_000;
}

export interface MessageTarget {
  addEventListener(type: 'message', listener: (e: MessageEvent) => void): void;
}

export class HostClient {
  private nextId: number;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, Set<Listener>>();
  onProtocolError: (message: string) => void = (m) => console.warn(`Product OS: ${m}`);

  constructor(
    private readonly vscode: VsCodeApi,
    target: MessageTarget,
  ) {
    // Ids differ between documents of one panel, so a late answer meant for a previous one
    // can never be taken for an answer to this one.
    this.nextId = (Date.now() % 1_000_000) * 1000;
    target.addEventListener('message', (e) => this.receive(e.data));
  }

  ready(panel: PanelKind): void {
    this.vscode.postMessage({ kind: 'ready', panel });
  }

  request<M extends RequestMethod>(method: M, params: RequestMap[M]['params']): Promise<RequestMap[M]['result']> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError('timeout', `${method} got no answer from the extension`));
      }, timeoutFor(method, params));
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject, timer });
      this.vscode.postMessage({ kind: 'request', id, method, params });
    });
  }

  on<T extends HostNotification['type']>(type: T, listener: (n: NotificationOf<T>) => void): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener as Listener);
    return () => set.delete(listener as Listener);
  }

  /** A message event's data (public for tests). */
  receive(data: unknown): void {
    const checked = checkHostMessage(data, (id) => this.pending.get(id)?.method);
    if (!checked.ok) {
      // A response we cannot read still ends its request, as an error naming what was wrong.
      const p = checked.id !== undefined ? this.pending.get(checked.id) : undefined;
      if (p && checked.id !== undefined) {
        this.pending.delete(checked.id);
        clearTimeout(p.timer);
        p.reject(new RequestError('bad_message', checked.error, { violations: checked.violations }));
      }
      this.onProtocolError(`ignored a malformed message from the extension: ${checked.error}`);
      return;
    }
    const m = checked.message;
    if (m.kind === 'response') {
      const p = this.pending.get(m.id);
      if (!p) return; // meant for an earlier document of this panel
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.result);
      else p.reject(new RequestError(m.error.code, m.error.message, m.error.details));
      return;
    }
    for (const l of this.listeners.get(m.type) ?? []) {
      try {
        l(m);
      } catch (err) {
        this.onProtocolError(`handling ${m.type} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}
