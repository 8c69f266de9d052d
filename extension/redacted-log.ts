/**
 * The extension's own log (the "Product OS" Output channel) under DEBUG_REDACTED_MODE, like
 * every log of the backend: it carries run errors, the backend's stderr, configuration reports
 * and connection failures, any of which can name an email, a key, an IP address, a home folder
 * or a container. On (the default), each line is masked with the backend's own rules
 * (common/redact.ts) before VS Code writes it; off, it is written as it is.
 */
import type * as vscode from 'vscode';
import { redact, redactValue } from '../common/redact';

/** DEBUG_REDACTED_MODE as the backend reads it (backend/config.ts): on unless set to something other than 1/true/yes/on. */
export function redactionOn(env: Record<string, string | undefined>): boolean {
  const v = env.DEBUG_REDACTED_MODE;
  return v === undefined || v === '' || /^(1|true|yes|on)$/i.test(v);
}

/**
 * The channel, with every line masked while `on()` says so. `on` is asked per line: the
 * setting that decides it (productOs.backend.environment) can change while the window is open.
 */
export function redactedLog(channel: vscode.LogOutputChannel, on: () => boolean): vscode.LogOutputChannel {
  const text = (m: string) => (on() ? redact(m) : m);
  const args = (a: unknown[]) => (on() ? a.map((v) => (v instanceof Error ? redact(v.message) : redactValue(v))) : a);
  const masked: Partial<vscode.LogOutputChannel> = {
    trace: (m, ...a) => channel.trace(text(m), ...args(a)),
    debug: (m, ...a) => channel.debug(text(m), ...args(a)),
    info: (m, ...a) => channel.info(text(m), ...args(a)),
    warn: (m, ...a) => channel.warn(text(m), ...args(a)),
    error: (m, ...a) => (on() ? channel.error(redact(m instanceof Error ? m.message : m), ...args(a)) : channel.error(m, ...a)),
    append: (m) => channel.append(text(m)),
    appendLine: (m) => channel.appendLine(text(m)),
    replace: (m) => channel.replace(text(m)),
  };
  return new Proxy(channel, {
    get(target, prop) {
      if (Object.prototype.hasOwnProperty.call(masked, prop)) return masked[prop as keyof typeof masked];
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
