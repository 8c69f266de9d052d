import type { Queryable } from '../store/db';

/**
 * The two allowlists of the Docker workers.
 *
 * Images: a worker is only ever started from an image on this list, named by tag or pinned by
 * digest, with whether it needs a GPU and how much memory that GPU must have. Entries come from
 * code (the executor's options: the image the project builds) and from the
 * `worker_image_allowlist` table. A run naming any other image is refused before anything is
 * created.
 *
 * Containers: the ops tasks only ever see containers on `container_allowlist`.
 */
export interface ImageAllowlistEntry {
  /** Repository name, e.g. `product-os/worker`. */
  image: string;
  tag?: string;
  /** `sha256:…`: the image id, or a repository digest. */
  digest?: string;
  requiresGpu?: boolean;
  minVramMb?: number;
}

export interface ImageRef {
  name: string;
  tag?: string;
  digest?: string;
}

/** `name`, `name:tag`, `name@sha256:…` (a registry host with a port stays part of the name). */
export function parseImageRef(ref: string): ImageRef {
  const at = ref.indexOf('@');
  if (at >= 0) return { name: ref.slice(0, at), digest: ref.slice(at + 1) };
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { name: ref };
}

export function formatEntry(e: ImageAllowlistEntry): string {
  return e.digest ? `${e.image}@${e.digest}` : `${e.image}:${e.tag}`;
}

export interface AllowedImage {
  entry: ImageAllowlistEntry;
  /** `name:tag` or `name@sha256:…`: what the container is created from (see docker-images.ts). */
  ref: string;
}

/**
 * The allowlist entry a registry `image` resolves to, or null. A bare name takes the first entry
 * of that name; a tag or digest must match an entry exactly.
 */
export function matchImage(requested: string, entries: readonly ImageAllowlistEntry[]): AllowedImage | null {
  const want = parseImageRef(requested.trim());
  const entry = entries.find((e) => {
    if (e.image !== want.name) return false;
    if (want.digest) return e.digest === want.digest;
    if (want.tag) return e.tag === want.tag;
    return true;
  });
  if (!entry) return null;
  // A digest, when the entry pins one, wins over a tag: the tag could be moved to other content.
  const digest = want.digest ?? entry.digest;
  return { entry, ref: digest ? `${entry.image}@${digest}` : `${entry.image}:${entry.tag}` };
}

/** Active rows of `worker_image_allowlist`. */
export async function storedImageAllowlist(q: Queryable): Promise<ImageAllowlistEntry[]> {
  const rows = await q.query<{ image_name: string; image_tag: string | null; image_digest: string | null; requires_gpu: boolean; min_vram_mb: number }>(
    'SELECT image_name, image_tag, image_digest, requires_gpu, min_vram_mb FROM worker_image_allowlist WHERE is_active ORDER BY id',
  );
  return rows.map((r) => ({
    image: r.image_name,
    ...(r.image_tag ? { tag: r.image_tag } : {}),
    ...(r.image_digest ? { digest: r.image_digest } : {}),
    requiresGpu: r.requires_gpu,
    minVramMb: r.min_vram_mb,
  }));
}

export async function addImageToAllowlist(q: Queryable, e: ImageAllowlistEntry): Promise<void> {
  await q.query(
    `INSERT INTO worker_image_allowlist (image_name, image_tag, image_digest, requires_gpu, min_vram_mb) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (image_name, image_tag) DO UPDATE SET image_digest = EXCLUDED.image_digest, requires_gpu = EXCLUDED.requires_gpu,
       min_vram_mb = EXCLUDED.min_vram_mb, is_active = true`,
    [e.image, e.tag ?? null, e.digest ?? null, e.requiresGpu ?? false, e.minVramMb ?? 0],
  );
}

// ---- containers ---------------------------------------------------------------------------

export interface ContainerAllowlistEntry {
  containerId: string | null;
  name: string | null;
}

export async function containerAllowlist(q: Queryable): Promise<ContainerAllowlistEntry[]> {
  const rows = await q.query<{ container_id: string | null; name: string | null }>('SELECT container_id, name FROM container_allowlist WHERE is_active ORDER BY id');
  return rows.map((r) => ({ containerId: r.container_id, name: r.name }));
}

export async function allowContainer(q: Queryable, c: { containerId?: string; name?: string }): Promise<void> {
  await q.query('INSERT INTO container_allowlist (container_id, name) VALUES ($1, $2)', [c.containerId ?? null, c.name ?? null]);
}

/**
 * Makes the entries that come from PRODUCT_OS_SERVICE_MAP_CONTAINERS exactly `wanted` (names,
 * or ids of 12 hex characters or more): new ones are added, ones no longer listed are turned
 * off. Entries written to the store by other means are left as they are.
 */
export async function syncSettingContainers(db: { transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> }, wanted: readonly string[]): Promise<void> {
  const entries = [...new Set(wanted.map((w) => w.trim().replace(/^\//, '')).filter(Boolean))].map((w) => (/^[0-9a-f]{12,64}$/.test(w) ? { containerId: w, name: null } : { containerId: null, name: w }));
  await db.transaction(async (tx) => {
    await tx.query(`UPDATE container_allowlist SET is_active = false WHERE source = 'setting'`);
    for (const e of entries) {
      const column = e.containerId !== null ? 'container_id' : 'name';
      const value = e.containerId ?? e.name;
      const updated = await tx.query(`UPDATE container_allowlist SET is_active = true WHERE ${column} = $1 AND (source = 'setting' OR is_active) RETURNING id`, [value]);
      if (updated.length === 0) await tx.query(`INSERT INTO container_allowlist (${column}, source) VALUES ($1, 'setting') ON CONFLICT (${column}) DO UPDATE SET is_active = true, source = 'setting'`, [value]);
    }
  });
}

/**
 * Whether a container is on the allowlist: by full id, by an id prefix of at least 12
 * characters, or by name (with or without Docker's leading slash).
 */
export function isContainerAllowed(list: readonly ContainerAllowlistEntry[], c: { id: string; names: readonly string[] }): boolean {
  const names = c.names.map((n) => n.replace(/^\//, ''));
  return list.some(
    (e) =>
      (e.containerId !== null && e.containerId.length >= 12 && c.id.startsWith(e.containerId)) ||
      (e.name !== null && names.includes(e.name.replace(/^\//, ''))),
  );
}
