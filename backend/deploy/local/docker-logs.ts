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
