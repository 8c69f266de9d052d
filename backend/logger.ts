import type { Db } from './store/db';
import { insertLog } from './store/logs';
import type { Bus } from './runs/bus';
import type { LogLevel } from '../contracts/rest';
import { redact, redactValue } from '../common/redact';
import type { SecretMask } from './secrets/secret-mask';

export interface LogFields {
  runId?: string | null;
  [key: string]: unknown;
}

/**
 * Structured logs: stored (GET /api/logs), streamed (GET /api/logs/stream) and mirrored to
 * stderr as JSON lines, which the extension shows in its "Product OS" output channel. In
 * redacted debug mode every string is masked before it goes anywhere.
 */
export class Logger {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly bus: Bus,
    private readonly redacted: boolean,
    private readonly stderr: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
    /** Known secret values (resolved or handed over): masked always, whatever the redacted-debug setting. */
    private readonly secrets?: SecretMask,
  ) {}

  /** Known secret values in `value` replaced by [secret] (run errors and events pass through here too). */
  maskSecrets<T>(value: T): T {
    return this.secrets ? this.secrets.maskValue(value) : value;
  }

  debug(source: string, message: string, fields?: LogFields) {
    return this.write('debug', source, message, fields);
  }
  info(source: string, message: string, fields?: LogFields) {
    return this.write('info', source, message, fields);
  }
  warn(source: string, message: string, fields?: LogFields) {
    return this.write('warn', source, message, fields);
  }
  error(source: string, message: string, fields?: LogFields) {
    return this.write('error', source, message, fields);
  }

  /** A message and its fields as they may be stored or shown (masked in redacted debug mode). */
  scrub<F extends Record<string, unknown>>(message: string, fields: F): { message: string; fields: F } {
    const known = { message: this.maskSecrets(message), fields: this.maskSecrets(fields) };
    return this.redacted ? { message: redact(known.message), fields: redactValue(known.fields) } : known;
  }

  /** Any value shown beside the logs (a run's progress): secrets masked, and in redacted debug mode every string. */
  scrubValue<T>(value: T): T {
    const known = this.maskSecrets(value);
    return this.redacted ? redactValue(known) : known;
  }

  /** Writes are chained so lines keep their order; a store failure never throws into the caller. */
  write(level: LogLevel, source: string, message: string, fields: LogFields = {}): Promise<void> {
    const { runId, ...rest } = fields;
    const { message: text, fields: extra } = this.scrub(message, rest);
    this.stderr(JSON.stringify({ ts: new Date().toISOString(), level, source, message: text, ...(runId ? { runId } : {}), ...extra }));
    const next = this.chain.then(async () => {
      try {
        this.bus.emitLog(await insertLog(this.db, { level, source, runId: runId ?? null, message: text, fields: extra }));
      } catch (err) {
        this.stderr(JSON.stringify({ level: 'error', source: 'logger', message: `could not store a log line: ${(err as Error).message}` }));
      }
    });
    this.chain = next;
    return next;
  }

  /** Resolves when every line written so far is stored. */
  flush(): Promise<unknown> {
    return this.chain;
  }
}
