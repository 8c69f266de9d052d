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
    const where = process.env.DOCKER_HOST ?? 'the default socket (/var/run/docker.sock)';
    return `the Docker engine at ${where} does not answer (${(err as Error).message}); run scripts/ensure-docker.sh or set DOCKER_HOST`;
  } finally {
    clearTimeout(t);
  }
}
