import { redact } from '../common/redact';
import type { Env } from './config';

/**
 * Whether DEBUG_REDACTED_MODE is on for this process (the default): read straight from the
 * environment, because the CLI prints diagnostics before (or without) a loaded config.
 */
export function redactedMode(env: Env = process.env): boolean {
  const v = env.DEBUG_REDACTED_MODE;
  return v === undefined || v === '' || /^(1|true|yes|on)$/i.test(v);
}

/**
 * A line for a person's terminal (the CLI's stderr): masked like the backend's logs in redacted
 * debug mode (a run's error can name a file under /home/<user>, an address, a key), verbatim
 * when it is off.
 */
export function diagnostic(text: string, env: Env = process.env): string {
  return redactedMode(env) ? redact(text) : text;
}
