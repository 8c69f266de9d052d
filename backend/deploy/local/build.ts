import type Dockerode from 'dockerode';
import type { Readable } from 'node:stream';
import { ProductOsError } from '../../errors';

export interface BuildRequest {
  context: Readable;
  /** Path of the Dockerfile inside the context. */
  dockerfile: string;
  tag: string;
  labels: Record<string, string>;
  signal: AbortSignal;
  /** One call per build step ("Step 2/5 : COPY …"). */
  onStep(step: string): void;
}

/** The last lines of build output kept for an error (a failing RUN prints its reason last). */
const TAIL_LINES = 20;

/**
 * Builds an image from a tar context with the local engine. Base images are never pulled
 * (`pull: false`): a FROM that is not on this machine fails the build and says so. Cancelling
 * closes the connection, which makes the engine stop the build. Returns the image id.
 */
export async function buildImage(docker: Dockerode, req: BuildRequest): Promise<string> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.buildImage(req.context, {
      t: req.tag,
      dockerfile: req.dockerfile,
      ...(Object.keys(req.labels).length > 0 ? { labels: req.labels } : {}),
      rm: true,
      forcerm: true,
      pull: false,
      abortSignal: req.signal,
    } as Dockerode.ImageBuildOptions);
  } catch (err) {
    throw abortedOr(req.signal, err);
  }
  const tail: string[] = [];
  let imageId: string | undefined;
  let error: string | undefined;
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err) => (err ? reject(abortedOr(req.signal, err)) : resolve()),
      (ev: { stream?: string; error?: string; aux?: { ID?: string } }) => {
        if (ev.error) error = ev.error.trim();
        if (ev.aux?.ID) imageId = ev.aux.ID;
        for (const line of (ev.stream ?? '').split('\n')) {
          const text = line.trim();
          if (!text) continue;
          tail.push(text);
          if (tail.length > TAIL_LINES) tail.shift();
          if (/^Step \d+\/\d+ :/.test(text)) req.onStep(text);
          const built = /^Successfully built ([0-9a-f]{12,})$/.exec(text);
          if (built) imageId = built[1];
        }
      },
    );
  });
  if (req.signal.aborted) throw new ProductOsError('cancelled', 'the deploy was cancelled during the image build');
  if (error !== undefined || imageId === undefined) {
    const reason = error ?? 'the engine reported no image';
    const hint = /pull access denied|not found|no such image|manifest unknown/i.test(reason)
      ? ' (base images are not pulled: build or load the FROM image on this machine first)'
      : '';
    throw new ProductOsError('invalid_input', `the Dockerfile failed to build: ${reason}${hint}`, { build_output_tail: tail });
  }
  return imageId;
}

function abortedOr(signal: AbortSignal, err: unknown): Error {
  if (signal.aborted) return new ProductOsError('cancelled', 'the deploy was cancelled during the image build');
  return new ProductOsError('unavailable', `the Docker engine refused the build: ${(err as Error).message}`, undefined, { retryable: true });
}
