/**
 * The host end of one panel's message channel, without `vscode` (so it is unit-tested with a
 * fake port). It checks every message from the webview against the protocol's schemas, answers
 * requests through a handler, and holds notifications back while the webview cannot receive
 * them: a hidden webview's document is destroyed (VS Code drops what is posted to it), and a
 * new one says `ready` when its script runs; the buffer is flushed then.
 */
import {
  checkWebviewMessage,
  type HostMessage,
  type HostNotification,
  type PanelKind,
  type RequestMethod,
  type RequestMap,
  type WebviewRequest,
} from '../../webviews/common/protocol';

export interface WebviewPort {
  postMessage(message: HostMessage): PromiseLike<boolean>;
}

export interface ChannelLog {
  debug(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** An error a handler throws to answer a request with this code and message. */
export interface HandlerError {
  code: string;
  message: string;
  details?: unknown;
}

export type RequestHandler = (request: WebviewRequest) => Promise<RequestMap[RequestMethod]['result']>;

export const DEFAULT_BUFFER_LIMIT = 1000;

/** The key under which a notification replaces an older one in the buffer (latest state wins). */
function coalesceKey(n: HostNotification): string | null {
  switch (n.type) {
    case 'run/changed':
      return `run:${n.run.id}`;
    case 'board/changed':
      return `card:${n.card.key}`;
    case 'backend/state':
      return 'backend';
    case 'panel/focus':
      return 'focus';
    default:
      return null;
  }
}

export function toHandlerError(err: unknown): HandlerError {
  if (typeof err === 'object' && err !== null && typeof (err as HandlerError).code === 'string' && typeof (err as HandlerError).message === 'string') {
    const e = err as HandlerError;
    return { code: e.code, message: e.message, ...(e.details === undefined ? {} : { details: e.details }) };
  }
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}

export class HostChannel {
  /** The webview's document has said `ready` and has not been hidden since. */
  private ready = false;
  private visible: boolean;
  /** Counts documents: a response is only delivered to the document that asked. */
  private generation = 0;
  private buffer: HostNotification[] = [];
  private readonly index = new Map<string, number>();
  private overflowed = false;
  private disposed = false;

  constructor(
    readonly panel: PanelKind,
    private readonly port: WebviewPort,
    private readonly handle: RequestHandler,
    private readonly log: ChannelLog,
    visible = true,
    private readonly bufferLimit = DEFAULT_BUFFER_LIMIT,
  ) {
    this.visible = visible;
  }

  get isReady(): boolean {
    return this.ready;
  }

  get buffered(): number {
    return this.buffer.length;
  }

  /** A message from the webview, as `onDidReceiveMessage` gives it. */
  async receive(raw: unknown): Promise<void> {
    if (this.disposed) return;
    const checked = checkWebviewMessage(raw);
    if (!checked.ok) {
      this.log.warn(`${this.panel} panel: refused a malformed message: ${checked.error}`);
      const error = { code: 'bad_message', message: checked.error, details: { violations: checked.violations } };
      if (checked.id !== undefined) await this.respond(this.generation, { kind: 'response', id: checked.id, ok: false, error });
      else this.notify({ kind: 'notification', type: 'protocol/error', message: checked.error });
      return;
    }
    const message = checked.message;
    if (message.kind === 'ready') {
      if (message.panel !== this.panel) this.log.warn(`${this.panel} panel: its webview says it is "${message.panel}"`);
      this.generation++;
      this.ready = true;
      this.visible = true;
      await this.flush();
      return;
    }
    const generation = this.generation;
    let response: HostMessage;
    try {
      const result = await this.handle(message);
      response = { kind: 'response', id: message.id, ok: true, result };
    } catch (err) {
      const error = toHandlerError(err);
      this.log.debug(`${this.panel} panel: ${message.method} failed: ${error.code}: ${error.message}`);
      response = { kind: 'response', id: message.id, ok: false, error };
    }
    await this.respond(generation, response);
  }

  /** Push a notification now, or keep it until the webview can receive it. */
  notify(n: HostNotification): void {
    if (this.disposed) return;
    if (this.ready && this.visible) {
      void this.post(n);
      return;
    }
    this.keep(n);
  }

  /** The panel's visibility changed (`onDidChangeViewState`). Hidden: its document is gone. */
  setVisible(visible: boolean): void {
    if (visible === this.visible) return;
    this.visible = visible;
    if (!visible) this.ready = false;
  }

  dispose(): void {
    this.disposed = true;
    this.buffer = [];
    this.index.clear();
  }

  private keep(n: HostNotification): void {
    const key = coalesceKey(n);
    if (key !== null) {
      const at = this.index.get(key);
      if (at !== undefined) {
        this.buffer[at] = n;
        return;
      }
    }
    if (this.buffer.length >= this.bufferLimit) {
      // More than we keep: drop it all and tell the webview to reload what it shows.
      this.buffer = [];
      this.index.clear();
      this.overflowed = true;
    }
    if (key !== null) this.index.set(key, this.buffer.length);
    this.buffer.push(n);
  }

  private async flush(): Promise<void> {
    const pending = this.buffer;
    const overflowed = this.overflowed;
    this.buffer = [];
    this.index.clear();
    this.overflowed = false;
    if (overflowed) await this.post({ kind: 'notification', type: 'panel/resync' });
    for (const n of pending) {
      if (!this.ready || !this.visible) {
        this.keep(n);
        continue;
      }
      await this.post(n);
    }
  }

  private async post(n: HostNotification): Promise<void> {
    let delivered = false;
    try {
      delivered = await this.port.postMessage(n);
    } catch (err) {
      this.log.debug(`${this.panel} panel: postMessage failed: ${String(err)}`);
    }
    if (!delivered && !this.disposed) this.keep(n);
  }

  private async respond(generation: number, response: HostMessage): Promise<void> {
    if (this.disposed) return;
    if (generation !== this.generation || !this.ready || !this.visible) {
      this.log.debug(`${this.panel} panel: dropped the answer to request ${(response as { id: number }).id}: the webview that asked is gone`);
      return;
    }
    try {
      await this.port.postMessage(response);
    } catch (err) {
      this.log.debug(`${this.panel} panel: postMessage failed: ${String(err)}`);
    }
  }
}
