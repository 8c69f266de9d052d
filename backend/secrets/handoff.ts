/**
 * `serve --secrets-stdin`: reads the editor's hand-off line (contracts/secrets-handoff.ts) at
 * start; the values are kept in memory only.
 */
import type { Readable } from 'node:stream';
import { MAX_HANDOFF_BYTES, parseHandoff } from '../../contracts/secrets-handoff';

/** Reads the first line of `input` (at most MAX_HANDOFF_BYTES, within `timeoutMs`) and leaves the stream paused. */
export function readHandoff(input: Readable, timeoutMs: number): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (err: Error | null, value?: Record<string, string>) => {
      clearTimeout(timer);
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      input.pause();
      if (err) reject(err);
      else resolve(value ?? {});
    };
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        try {
          done(null, parseHandoff(text.slice(0, nl)));
        } catch (err) {
          done(err as Error);
        }
      } else if (text.length > MAX_HANDOFF_BYTES) done(new Error(`the secrets hand-off on stdin is longer than ${MAX_HANDOFF_BYTES} bytes`));
    };
    const onEnd = () => (text.trim() ? onData('\n') : done(null, {}));
    const onError = (err: Error) => done(err);
    const timer = setTimeout(() => done(new Error(`no secrets hand-off on stdin within ${timeoutMs} ms (serve --secrets-stdin expects one JSON line)`)), timeoutMs);
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('error', onError);
  });
}
