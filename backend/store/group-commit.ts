/**
 * Group commit: writes that arrive together go as one statement. A batch starts on the next
 * turn of the event loop (setImmediate), after the I/O that is already waiting has been read,
 * so the writes of requests that arrived together share it; writes that arrive while a batch
 * is in flight form the next one. PGlite runs its queries on this thread, so without that turn
 * nothing could ever pile up. If a batch fails, its items are retried one by one, so one bad
 * item cannot fail its neighbours.
 */
export class GroupCommit<A, R> {
  private pending: Array<{ item: A; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private draining = false;

  constructor(
    private readonly writeBatch: (items: A[]) => Promise<R[]>,
    private readonly maxBatch = 64,
  ) {}

  write(item: A): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, this.maxBatch);
        try {
          const results = await this.writeBatch(batch.map((b) => b.item));
          batch.forEach((b, i) => b.resolve(results[i]));
        } catch (err) {
          if (batch.length === 1) {
            batch[0].reject(err);
            continue;
          }
          for (const b of batch) {
            await this.writeBatch([b.item]).then(([r]) => b.resolve(r), b.reject);
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
