import { mkdirSync } from 'node:fs';
/**
 * Loads a built panel (webviews/build.mjs, into out/webviews-test) into headless Chromium as VS Code would: the same HTML and
 * CSP as the extension host writes (extension/panels/html.ts), served from 127.0.0.1, with a fake
 * `acquireVsCodeApi` whose messages go to a FakeHost in the test. The FakeHost answers requests
 * from handlers the test gives it and pushes notifications; the page's console errors, uncaught
 * exceptions and CSP violations are collected so a test can insist there were none.
 */
import { createServer, type Server } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { join, normalize, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { renderPanelHtml, panelAssets } from '../../../extension/panels/html';
import type { HostMessage, HostNotification, PanelKind, RequestMap, RequestMethod } from '../../../webviews/common/protocol';

const root = resolve(__dirname, '..', '..', '..');
/** The tests build their own copy (git-ignored out/), so they never replace a production build in dist/. */
export const distDir = join(root, 'out', 'webviews-test');
const themeCss = join(__dirname, 'theme.css');

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

let built: Promise<void> | null = null;

/** Build the panels once per test process. */
export function ensureBuilt(): Promise<void> {
  built ??= (async () => {
    const mod = (await import(pathToFileURL(join(root, 'webviews', 'build.mjs')).href)) as { buildWebviews(o?: { production?: boolean; outdir?: string }): Promise<string> };
    await mod.buildWebviews({ production: process.env.WEBVIEWS_PRODUCTION === '1', outdir: distDir });
  })();
  return built;
}

/** Chromium is a real component of these tests: missing, they fail saying so (npm test installs it). */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: run the tests with \`npm test\` (it installs Debian's chromium as root) or apt-get install chromium`);
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
}

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.map': 'application/json', '.html': 'text/html' };

export interface PanelServer {
  origin: string;
  close(): Promise<void>;
}

/** Serves dist/webviews/ and one HTML page per panel (`/panel/<kind>`), on 127.0.0.1 only. */
export async function startServer(): Promise<PanelServer> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const panel = /^\/panel\/([A-Za-z]+)$/.exec(url.pathname);
    if (panel) {
      const kind = panel[1] as PanelKind;
      const assets = panelAssets(kind);
      const html = renderPanelHtml({
        kind,
        title: kind,
        cspSource: origin,
        nonce: randomBytes(18).toString('base64'),
        scriptUri: `${origin}/${assets.script}`,
        styleUri: `${origin}/${assets.style}`,
        codiconsUri: `${origin}/${assets.codicons}`,
      })
        // What VS Code adds around the document: its theme variables and body classes.
        .replace('<link rel="stylesheet" href', `<link rel="stylesheet" href="${origin}/__theme.css">\n<link rel="stylesheet" href`)
        .replace('<body data-panel', '<body class="vscode-dark" data-vscode-theme-kind="vscode-dark" data-panel');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html);
      return;
    }
    const file = url.pathname === '/__theme.css' ? themeCss : normalize(join(distDir, decodeURIComponent(url.pathname)));
    if (!file.startsWith(distDir) && file !== themeCss) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, close: () => new Promise<void>((r) => server.close(() => r())) };
}

export class HostFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

type Handler<M extends RequestMethod> = (params: RequestMap[M]['params']) => RequestMap[M]['result'] | Promise<RequestMap[M]['result']>;
export type Handlers = { [M in RequestMethod]?: Handler<M> };

export interface Received {
  method: RequestMethod;
  params: unknown;
}

/** The extension host as the page sees it: answers requests, pushes notifications, keeps state. */
export class FakeHost {
  readonly requests: Received[] = [];
  readyCount = 0;
  state: unknown = undefined;
  page: Page | null = null;
  private waiters: Array<{ test: (r: Received) => boolean; resolve: (r: Received) => void }> = [];

  constructor(public handlers: Handlers) {}

  async receive(message: { kind: string; id?: number; method?: RequestMethod; params?: unknown }): Promise<void> {
    if (message.kind === 'ready') {
      this.readyCount++;
      return;
    }
    if (message.kind !== 'request' || message.method === undefined || message.id === undefined) return;
    const got = { method: message.method, params: message.params };
    this.requests.push(got);
    for (const w of [...this.waiters]) {
      if (w.test(got)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(got);
      }
    }
    const handler = this.handlers[message.method] as ((p: unknown) => unknown) | undefined;
    let reply: HostMessage;
    try {
      if (!handler) throw new HostFailure('not_found', `the fake host has no handler for ${message.method}`);
      reply = { kind: 'response', id: message.id, ok: true, result: (await handler(message.params)) as never };
    } catch (err) {
      const e = err as HostFailure;
      reply = { kind: 'response', id: message.id, ok: false, error: { code: e.code ?? 'internal', message: e.message, ...(e.details === undefined ? {} : { details: e.details }) } };
    }
    await this.send(reply);
  }

  /** Post any message to the page (also malformed ones, to test validation). */
  async send(message: unknown): Promise<void> {
    if (!this.page || this.page.isClosed()) return;
    await this.page.evaluate((m) => window.postMessage(m, '*'), message as never).catch(() => undefined);
  }

  async notify(n: HostNotification extends infer T ? (T extends unknown ? Omit<T, 'kind'> : never) : never): Promise<void> {
    await this.send({ kind: 'notification', ...n });
  }

  /** Resolves with the next request that passes `test` (or one already received, when `past`). */
  waitFor(method: RequestMethod, test: (params: never) => boolean = () => true, timeoutMs = 10_000): Promise<Received> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${method} request within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        test: (r) => r.method === method && test(r.params as never),
        resolve: (r) => {
          clearTimeout(t);
          resolve(r);
        },
      });
    });
  }

  count(method: RequestMethod): number {
    return this.requests.filter((r) => r.method === method).length;
  }
}

export interface OpenedPanel {
  page: Page;
  host: FakeHost;
  /** Console errors, uncaught exceptions and CSP violations seen so far. */
  problems: string[];
  warnings: string[];
}

/** Open a panel page with a fake host. `state` is what getState() returns (a restored panel). */
export async function openPanel(browser: Browser, server: PanelServer, kind: PanelKind, host: FakeHost, opts: { state?: unknown; viewport?: { width: number; height: number } } = {}): Promise<OpenedPanel> {
  const page = await browser.newPage({ viewport: opts.viewport ?? { width: 1400, height: 900 } });
  const problems: string[] = [];
  const warnings: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    if (m.type() === 'warning') warnings.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  host.page = page;
  host.state = opts.state;
  await page.exposeBinding('__poToHost', (_source, json: string) => host.receive(JSON.parse(json)));
  await page.exposeBinding('__poSetState', (_source, json: string) => {
    host.state = JSON.parse(json);
  });
  // A string, not a function: the test runner's transpiler would wrap a function's inner names.
  await page.addInitScript(`(() => {
    let state = ${opts.state === undefined ? 'undefined' : `JSON.parse(${JSON.stringify(JSON.stringify(opts.state))})`};
    let acquired = false;
    window.acquireVsCodeApi = function () {
      if (acquired) throw new Error('acquireVsCodeApi called twice');
      acquired = true;
      return {
        postMessage: function (m) { void window.__poToHost(JSON.stringify(m)); },
        getState: function () { return state; },
        setState: function (s) { state = s; void window.__poSetState(JSON.stringify(s)); return s; },
      };
    };
    document.addEventListener('securitypolicyviolation', function (e) { console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI); });
  })();`);
  await page.goto(`${server.origin}/panel/${kind}`);
  return { page, host, problems, warnings };
}

/** Wait until `fn` is true in Node (bounded). */
export async function until(fn: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const screenshotsDir = join(root, 'test', 'e2e', 'screenshots');

/**
 * What every panel suite needs, as mocha hooks: Chromium (required), the panels built and served
 * locally, the screenshots folder. Returns how to open a panel in that browser.
 */
export function usePanelBrowser(): {
  open(kind: PanelKind, host: FakeHost, opts?: Parameters<typeof openPanel>[4]): Promise<OpenedPanel>;
  readonly browser: Browser;
  readonly server: PanelServer;
} {
  let browser: Browser | undefined;
  let server: PanelServer | undefined;
  before(async function () {
    requireChromium();
    await ensureBuilt();
    server = await startServer();
    browser = await launch();
    mkdirSync(screenshotsDir, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  return {
    open: (kind, host, opts) => openPanel(browser!, server!, kind, host, opts),
    get browser() {
      return browser!;
    },
    get server() {
      return server!;
    },
  };
}
