import type Dockerode from 'dockerode';
import type { LogLineOut } from '../../../contracts/tools/deploy';

/**
 * A container's log lines with their engine timestamps, from the multiplexed stream the
 * engine sends for a container without a TTY (8-byte frame header: stream, 3 zero bytes,
 * big-endian length). stdout lines are DEFAULT and stderr lines ERROR, as Cloud Run records them.
 */
export async function containerLogs(container: Dockerode.Container, opts: { since: number; tail: number }): Promise<LogLineOut[]> {
  const raw = (await container.logs({ stdout: true, stderr: true, timestamps: true, since: opts.since, tail: opts.tail, follow: false })) as unknown as Buffer;
  const lines: LogLineOut[] = [];
  const pending: Record<number, string> = { 1: '', 2: '' };
  let offset = 0;
  while (offset + 8 <= raw.length) {
    const stream = raw[offset];
    const size = raw.readUInt32BE(offset + 4);
    pending[stream === 2 ? 2 : 1] += raw.subarray(offset + 8, offset + 8 + size).toString('utf8');
    offset += 8 + size;
  }
  for (const stream of [1, 2]) {
    for (const line of pending[stream].split('\n')) {
      if (!line) continue;
      const space = line.indexOf(' ');
      const timestamp = space > 0 ? line.slice(0, space) : '';
      lines.push({ timestamp, severity: stream === 2 ? 'ERROR' : 'DEFAULT', text: space > 0 ? line.slice(space + 1) : line });
    }
  }
  // RFC 3339 with nanoseconds, all UTC: text order is time order.
  return lines.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
}

/**
 * A container's log lines as the engine writes them (`docker logs --follow`), from `since`
 * (epoch seconds; lines stamped before `sinceMs` are dropped, the engine's `since` being whole
 * seconds). Resolves when the stream ends (the container stopped) or the signal fires.
 */
export async function followContainerLogs(
  container: Dockerode.Container,
  opts: { sinceMs: number; signal: AbortSignal },
  onLine: (line: LogLineOut) => Promise<void>,
): Promise<void> {
  if (opts.signal.aborted) return;
  const stream = (await container.logs({ stdout: true, stderr: true, timestamps: true, since: Math.floor(opts.sinceMs / 1000), follow: true })) as unknown as NodeJS.ReadableStream & { destroy(): void };
  const abort = () => stream.destroy();
  opts.signal.addEventListener('abort', abort, { once: true });
  let buffered = Buffer.alloc(0);
  const pending: Record<number, string> = { 1: '', 2: '' };
  // Lines go out one at a time, in order: each send is a run event write.
  let chain = Promise.resolve();
  const emit = (stream: number, line: string) => {
    if (!line) return;
    const space = line.indexOf(' ');
    const timestamp = space > 0 ? line.slice(0, space) : '';
    if (Date.parse(timestamp) < opts.sinceMs) return;
    const out = { timestamp, severity: stream === 2 ? 'ERROR' : 'DEFAULT', text: space > 0 ? line.slice(space + 1) : line };
    chain = chain.then(() => onLine(out)).catch(() => undefined);
  };
  try {
    await new Promise<void>((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 8) {
          const size = buffered.readUInt32BE(4);
          if (buffered.length < 8 + size) break;
          const kind = buffered[0] === 2 ? 2 : 1;
          pending[kind] += buffered.subarray(8, 8 + size).toString('utf8');
          buffered = buffered.subarray(8 + size);
          const parts = pending[kind].split('\n');
          pending[kind] = parts.pop() ?? '';
          for (const p of parts) emit(kind, p);
        }
      });
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });
    for (const kind of [1, 2]) emit(kind, pending[kind]);
    await chain;
  } finally {
    opts.signal.removeEventListener('abort', abort);
    stream.destroy();
  }
}
