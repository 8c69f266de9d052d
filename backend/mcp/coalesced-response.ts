import type { ServerResponse } from 'node:http';

/** How long a POST's SSE answer may be held back before what it has goes out. */
const HOLD_MS = 50;

/**
 * Sends a short call's whole SSE answer in one write. The SDK's Node adapter flushes an SSE
 * response's headers at once, writes the priming event (its id lets a client resume after a
 * dropped connection), then each event and the end of the chunked body as they come: three or
 * four writes, and as many packets for the client to read, for a call whose result follows a
 * few milliseconds later. Here the response is corked for at most HOLD_MS: a call that ends
 * within it leaves in one write, headers to body end; a longer one has everything so far sent
 * when the hold ends and streams from then on as before. So a progress event or the priming
 * id reaches the client at most HOLD_MS late, and nothing else changes.
 */
export function coalesceResponse(res: ServerResponse, holdMs = HOLD_MS): void {
  const flushHeaders = res.flushHeaders.bind(res);
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  let holding = true;
  /** The socket corked by the first write: uncorked on that very socket, which may go on to serve another request. */
  let corked: ServerResponse['socket'] = null;
  const release = () => {
    if (!holding) return;
    holding = false;
    clearTimeout(timer);
    if (corked) corked.uncork();
    else if (!res.destroyed && !res.writableEnded) flushHeaders(); // nothing written yet: the headers alone
  };
  const timer = setTimeout(release, holdMs);
  res.flushHeaders = () => {
    if (!holding) flushHeaders();
  };
  res.write = ((...args: unknown[]) => {
    if (holding && !corked && res.socket && !res.socket.destroyed) {
      corked = res.socket;
      corked.cork();
    }
    return write(...args);
  }) as ServerResponse['write'];
  res.end = ((...args: unknown[]) => {
    const r = end(...args);
    release();
    return r;
  }) as ServerResponse['end'];
  res.once('close', release);
}
