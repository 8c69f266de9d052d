import Dockerode from 'dockerode';

/** The Docker engine: DOCKER_HOST when set (unix://, tcp://), else the default socket. */
export function dockerClient(): Dockerode {
  return new Dockerode();
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
