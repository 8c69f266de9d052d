import * as http from 'node:http';
import type Dockerode from 'dockerode';

export type Health = { healthy: true; port: number } | { healthy: false; reason: string };

const PROBE_INTERVAL_MS = 100;
const PROBE_TIMEOUT_MS = 1000;

/**
 * Waits until the revision's container answers HTTP on its published loopback port (any
 * status: like Cloud Run's default startup probe, it proves the server listens), or until it
 * exits, the window passes or the signal fires. The port is read from the engine each time:
 * a restarted container gets a new one.
 */
export async function waitHealthy(docker: Dockerode, containerId: string, containerPort: number, windowMs: number, signal: AbortSignal): Promise<Health> {
  const deadline = Date.now() + windowMs;
  const container = docker.getContainer(containerId);
  let lastProblem = 'it never answered';
  // Bounded by the window: at most windowMs / PROBE_INTERVAL_MS probes.
  while (Date.now() < deadline) {
    if (signal.aborted) return { healthy: false, reason: 'the deploy was cancelled' };
    const info = await container.inspect();
    if (!info.State.Running) {
      return { healthy: false, reason: `its container exited with code ${info.State.ExitCode}${info.State.Error ? ` (${info.State.Error})` : ''} before answering on port ${containerPort}` };
    }
    const port = publishedPort(info, containerPort);
    if (port !== null) {
      const answer = await probe(port, Math.min(PROBE_TIMEOUT_MS, Math.max(1, deadline - Date.now())));
      if (answer === null) return { healthy: true, port };
      lastProblem = answer;
    }
    await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS));
  }
  return { healthy: false, reason: `it did not answer HTTP on port ${containerPort} within ${Math.round(windowMs / 1000)} s (${lastProblem}); does it listen on $PORT?` };
}

export function publishedPort(info: Dockerode.ContainerInspectInfo, containerPort: number): number | null {
  const binding = info.NetworkSettings.Ports?.[`${containerPort}/tcp`]?.find((b) => b.HostIp === '127.0.0.1');
  return binding ? Number(binding.HostPort) : null;
}

/** null when an HTTP response came back; otherwise why not. */
function probe(port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(null);
    });
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', (err) => resolve(err.message));
  });
}
