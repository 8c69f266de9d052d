/**
 * Driving a real VS Code workbench (code-server) in headless Chromium with playwright-core: the
 * command palette, notifications, the webview panels (each is an iframe inside an iframe of the
 * workbench page; the inner one holds the panel's document), and a watch on every webview frame
 * that records console errors, uncaught exceptions, unhandled rejections and CSP violations.
 * Every wait here has a bound.
 */
import { chromium, type Browser, type BrowserContext, type Frame, type Page } from 'playwright-core';
import type { PanelKind } from '../../../webviews/common/protocol';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export interface WebviewProblem {
  kind: string;
  text: string;
  frame: string;
}

/** A webview frame is one whose document is served from the workbench's webview host. */
const isWebviewUrl = (url: string): boolean => /\/webview\/browser\/pre\/|vscode-cdn\.net|vscode-resource/.test(url);

/**
 * Injected into every frame before its scripts run (as a string: a bundler's helpers must not
 * leak into it). Only webview frames report; the report reaches the test through a binding that
 * names the frame it came from.
 */
const PROBE = `(() => {
  const inWebview = (w) => { try { return /\\/webview\\//.test(w.location.pathname); } catch (e) { return false; } };
  // The panel's frame starts as about:blank, and the webview host writes the panel into it.
  if (!inWebview(window) && !(location.href === 'about:blank' && window.parent !== window && inWebview(window.parent))) return;
  const report = (kind, text) => { try { window.__productOsReport(kind, String(text)); } catch (e) { /* binding not there yet */ } };
  const show = (a) => (a instanceof Error ? (a.stack || a.message) : typeof a === 'string' ? a : (() => { try { return JSON.stringify(a); } catch (e) { return String(a); } })());
  const original = console.error;
  console.error = function (...args) { report('console.error', args.map(show).join(' ')); return original.apply(this, args); };
  const watch = () => {
    addEventListener('error', (e) => {
      if (e instanceof ErrorEvent) report('uncaught', e.error ? show(e.error) : e.message + ' at ' + e.filename + ':' + e.lineno);
      else report('resource', 'could not load ' + ((e.target && (e.target.src || e.target.href)) || String(e.target)));
    }, true);
    addEventListener('unhandledrejection', (e) => report('unhandledrejection', show(e.reason)));
    addEventListener('securitypolicyviolation', (e) => report('csp', e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' (' + e.sourceFile + ':' + e.lineNumber + ')'), true);
  };
  watch();
  // The webview host writes the panel's HTML with document.open(), which drops listeners: add them again.
  const open = Document.prototype.open;
  Document.prototype.open = function (...args) { const r = open.apply(this, args); if (this === document) watch(); return r; };
})();`;

export class Workbench {
  readonly problems: WebviewProblem[] = [];
  /** Errors of the workbench page itself (offline marketplace and the like): logged, not failed on. */
  readonly workbenchErrors: string[] = [];

  private constructor(
    readonly browser: Browser,
    readonly context: BrowserContext,
    readonly page: Page,
  ) {}

  static async open(url: string, opts: { viewport?: { width: number; height: number }; timeoutMs?: number } = {}): Promise<Workbench> {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
    try {
      const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1920, height: 1080 } });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(url).origin });
      const page = await context.newPage();
      const wb = new Workbench(browser, context, page);
      await context.exposeBinding('__productOsReport', (source, kind: string, text: string) => {
        wb.problems.push({ kind, text, frame: source.frame.url() });
      });
      await context.addInitScript({ content: PROBE });
      page.on('console', (m) => {
        if (m.type() !== 'error') return;
        const where = m.location().url;
        // CSP reports the browser itself prints for a webview document carry its URL.
        if (isWebviewUrl(where)) wb.problems.push({ kind: 'console', text: m.text(), frame: where });
        else wb.workbenchErrors.push(m.text().split('\n')[0]);
      });
      page.on('pageerror', (e) => {
        if (isWebviewUrl(e.stack ?? '')) wb.problems.push({ kind: 'pageerror', text: e.stack ?? e.message, frame: '' });
        else wb.workbenchErrors.push(`pageerror: ${e.message}`);
      });
      page.setDefaultTimeout(15_000);
      await page.goto(url, { timeout: opts.timeoutMs ?? 60_000 });
      await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: opts.timeoutMs ?? 60_000 });
      // The workbench restores its parts after the shell appears: wait for the status bar too.
      await page.locator('.part.statusbar').waitFor({ state: 'visible', timeout: opts.timeoutMs ?? 60_000 });
      return wb;
    } catch (err) {
      await browser.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.browser.close();
  }

  /**
   * Runs a command from the palette by its full title ("Product OS: Open Kanban Board"). Right
   * after start-up the extension's contributions may not be registered yet: it asks again until
   * `timeoutMs`.
   */
  async runCommand(title: string, timeoutMs = 30_000): Promise<void> {
    const { page } = this;
    const input = page.locator('.quick-input-widget input');
    const row = page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: title }) }).first();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await page.keyboard.press('Escape');
      await page.keyboard.press('F1');
      try {
        await input.waitFor({ state: 'visible', timeout: 3000 });
      } catch {
        // Focus inside a webview can swallow F1: open the palette from the command center.
        await page.locator('.command-center .search-box, .command-center-center').first().click({ timeout: 5000 });
        await input.waitFor({ state: 'visible', timeout: 5000 });
      }
      await input.fill(`>${title}`);
      try {
        await row.waitFor({ state: 'visible', timeout: 3000 });
        break;
      } catch (err) {
        if (Date.now() > deadline) {
          const rows = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts().catch(() => []);
          throw new Error(`the command palette has no "${title}" after ${timeoutMs} ms (it shows: ${rows.join(' | ') || 'nothing'}): ${(err as Error).message}`);
        }
      }
    }
    await row.click({ timeout: 5000 });
  }

  /** Picks an item of the open quick pick by its label. */
  async pick(label: string | RegExp, timeoutMs = 15_000): Promise<void> {
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
    await row.waitFor({ state: 'visible', timeout: timeoutMs });
    await row.click({ timeout: 5000 });
  }

  /** Waits for a notification toast whose message matches, and returns its text. */
  async notification(text: RegExp, timeoutMs = 30_000): Promise<string> {
    const toast = this.page.locator('.notification-toast .notification-list-item-message', { hasText: text }).first();
    await toast.waitFor({ state: 'visible', timeout: timeoutMs });
    return toast.innerText();
  }

  /** Clears every notification toast (so a later wait sees only new ones). */
  async clearNotifications(): Promise<void> {
    const toasts = this.page.locator('.notification-toast');
    for (let i = 0; i < 10 && (await toasts.count()) > 0; i++) {
      await toasts.first().hover({ timeout: 2000 }).catch(() => {});
      const close = toasts.first().locator('.codicon-notifications-clear, .codicon-close').first();
      if (await close.isVisible().catch(() => false)) await close.click({ timeout: 2000 }).catch(() => {});
      else break;
    }
  }

  /** The frame holding a panel's document (`<body data-panel="kind">`), once it exists. */
  async panel(kind: PanelKind, timeoutMs = 30_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const frame of this.page.frames()) {
        if (frame.isDetached() || !isWebviewUrl(frame.url())) continue;
        const found = await frame.evaluate(() => document.body?.dataset.panel ?? null).catch(() => null);
        if (found === kind) {
          const visible = await frame.frameElement().then((el) => el.isVisible()).catch(() => false);
          if (visible) return frame;
        }
      }
      if (Date.now() > deadline) throw new Error(`no visible ${kind} panel after ${timeoutMs} ms (webview frames: ${this.page.frames().filter((f) => isWebviewUrl(f.url())).length})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** A picture of the whole workbench, with the pointer out of the way (no hover tooltips). */
  async screenshot(file: string): Promise<void> {
    await this.page.mouse.move(1, 1);
    await this.page.waitForTimeout(200);
    await this.page.screenshot({ path: file });
  }

  /** Problems reported so far, as lines; empties the list. */
  takeProblems(): string[] {
    return this.problems.splice(0).map((p) => `${p.kind}: ${p.text}${p.frame ? ` (${p.frame.replace(/\?.*$/, '')})` : ''}`);
  }
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs` saying what it waited for. */
export async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
