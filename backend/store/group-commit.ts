/**
 * Group commit: writes that arrive while a write is in flight wait and go together as one
 * statement. Nothing is delayed on purpose: an idle store takes a write at once, and the batch
 * is whatever piled up meanwhile. If a batch fails, its items are retried one by one, so one
 * bad item cannot fail its neighbours.
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
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
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
