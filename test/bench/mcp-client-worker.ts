/**
 * A ClientPool in a worker thread, so the MCP clients get their own event loop (and core)
 * instead of sharing the servers' one. Started by mcp-tools-call.ts; one message in, one out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ClientPool, type PoolOptions, type Measurement } from './mcp-client-pool';

export type WorkerRequest = { type: 'measure'; calls: number; seconds: number } | { type: 'close' };
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'measured'; measurement: Measurement }
  | { type: 'closed' }
  | { type: 'error'; message: string };

const port = parentPort;
if (port) {
  const send = (m: WorkerReply) => port.postMessage(m);
  ClientPool.connect(workerData as PoolOptions).then(
    (pool) => {
      port.on('message', (req: WorkerRequest) => {
        const work = req.type === 'measure' ? pool.measure(req.calls, req.seconds).then((measurement) => send({ type: 'measured', measurement })) : pool.close().then(() => send({ type: 'closed' }));
        work.catch((err: Error) => send({ type: 'error', message: err.stack ?? err.message }));
      });
      send({ type: 'ready' });
    },
    (err: Error) => send({ type: 'error', message: err.stack ?? err.message }),
  );
}
