import type Dockerode from 'dockerode';
import workerImage from '../../workers/images/worker/image.json';
import { ProductOsError } from '../errors';
import { parseImageRef, type AllowedImage, type ImageAllowlistEntry } from './docker-allowlist';

/** The image `npm run workers:build` builds (workers/images/worker/image.json). */
export const WORKER_IMAGE: Readonly<ImageAllowlistEntry> = Object.freeze({ image: workerImage.name, tag: workerImage.tag, requiresGpu: false, minVramMb: 0 });
export const WORKER_IMAGE_REF = `${workerImage.name}:${workerImage.tag}`;

/**
 * What `docker create` gets for an allowed image. A tag is used as it is; a digest is either a
 * repository digest (`name@sha256:…` resolves) or, for an image built here, its image id, which
 * must still carry the allowed name. Never pulls: an image that is not here is an error.
 */
export async function createRefFor(docker: Dockerode, allowed: AllowedImage): Promise<string> {
  const { name, digest } = parseImageRef(allowed.ref);
  if (!digest) return allowed.ref;
  const byRepoDigest = await inspectOrNull(docker, allowed.ref);
  if (byRepoDigest) return allowed.ref;
  const byId = await inspectOrNull(docker, digest);
  if (byId && byId.Id === digest && (byId.RepoTags ?? []).some((t) => parseImageRef(t).name === name)) return digest;
  throw notBuilt(allowed.ref);
}

export function notBuilt(ref: string): ProductOsError {
  return new ProductOsError('not_configured', `worker image ${ref} is not on this Docker engine: build it with \`npm run workers:build\` (images are never pulled)`, { image: ref });
}

async function inspectOrNull(docker: Dockerode, ref: string): Promise<Dockerode.ImageInspectInfo | null> {
  try {
    return await docker.getImage(ref).inspect();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return null;
    throw err;
  }
}
