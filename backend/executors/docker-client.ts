import * as http from 'node:http';
import type Dockerode from 'dockerode';

/**
 * The Docker engine: DOCKER_HOST when set (unix://, tcp://), else the default socket.
 * dockerode is required here, on first use, not imported at the top: with its modem, ssh2, gRPC
 * and protobuf it is the largest part of the bundle to load (about 75 ms and tens of MB at start),
 * and a backend that runs no Docker tool never needs it.
 */
export function dockerClient(): Dockerode {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Client = require('dockerode') as typeof Dockerode;
  return new Client();
}

/** Whether the engine answers within `timeoutMs`; the reason when it does not. */
export async function pingDocker(docker: Dockerode, timeoutMs = 5000): Promise<string | null> {
  let t: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => (t = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
    ]);
    return null;
  } catch (err) {
    return notAnswering(err as Error);
  } finally {
    clearTimeout(t);
  }
}

/**
 * The same question asked with node:http alone, so that learning Docker is absent does not load
 * dockerode. Only a plain unix:// socket or tcp:// address can be asked this way; for a TLS or
 * ssh:// engine the answer is undefined (not known: dockerode asks on first use).
 */
export function probeDockerHost(timeoutMs = 2000, env: NodeJS.ProcessEnv = process.env): Promise<string | null | undefined> {
  const host = env.DOCKER_HOST ?? (process.platform === 'win32' ? undefined : 'unix:///var/run/docker.sock');
  let target: http.RequestOptions;
  if (host?.startsWith('unix://')) target = { socketPath: host.slice('unix://'.length) };
  else if (host?.startsWith('tcp://') && !env.DOCKER_TLS_VERIFY) {
    const url = new URL(`http://${host.slice('tcp://'.length)}`);
    target = { host: url.hostname, port: url.port || 2375 };
  } else return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const req = http.get({ ...target, path: '/_ping', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? null : notAnswering(new Error(`GET /_ping answered ${res.statusCode}`)));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => resolve(notAnswering(err)));
  });
}

function notAnswering(err: Error): string {
  const where = process.env.DOCKER_HOST ?? 'the default socket (/var/run/docker.sock)';
  return `the Docker engine at ${where} does not answer (${err.message}); run scripts/ensure-docker.sh or set DOCKER_HOST`;
}
