import type { Queryable } from './db';
import { GroupCommit } from './group-commit';
import { writeRuns, type Advance, type NewRun, type StoredRun } from './runs';
import type { RunEvent } from '../../contracts/rest';

type Change = { run: StoredRun; events: RunEvent[] } | null;
/** `taken`: its batch has gone out, so nothing can be folded into it any more. */
type Write = { insert: NewRun; taken: boolean } | { advance: Advance };

/** An insert waiting for its batch, whose run's end can still join it (see RunWriter.insertFoldable). */
export interface PendingInsert {
  /** The run as stored: as claimed, or already ended when its end was folded in. */
  readonly written: Promise<Change>;
  /** Puts the run's end into the insert if that has not gone out yet; false if it has (write the end as usual). */
  fold(end: Pick<Advance, 'steps' | 'changes'>): boolean;
}

/**
 * The engine's writes outside transactions, group-committed: under load, calls that arrive
 * together share one statement instead of queueing for one each. New runs and the ends of
 * others share one queue, so a call costs about one statement per batch rather than one per
 * batch of inserts plus one per batch of endings (an insert and an advance of the same run are
 * never in one batch: a run is advanced only once its insert has returned).
 */
export class RunWriter {
  private readonly writes: GroupCommit<Write, Change>;

  constructor(db: Queryable) {
    this.writes = new GroupCommit(async (items) => {
      const inserts: NewRun[] = [];
      const advances: Advance[] = [];
      for (const w of items) {
        if ('insert' in w) {
          w.taken = true;
          inserts.push(w.insert);
        } else advances.push(w.advance);
      }
      const { inserted, advanced } = await writeRuns(db, inserts, advances);
      let i = 0;
      let a = 0;
      return items.map((w) => ('insert' in w ? inserted[i++] : advanced[a++]));
    });
  }

  insert(run: NewRun): Promise<Change> {
    return this.writes.write({ insert: run, taken: false });
  }

  /**
   * An insert of a claimed run whose end may still join it: a call that ends before its batch
   * goes out (the batch waits a turn of the event loop) is stored once, already ended, instead
   * of as an insert and then an update.
   */
  insertFoldable(run: NewRun): PendingInsert {
    const write: Write = { insert: run, taken: false };
    return {
      written: this.writes.write(write),
      fold: (end) => {
        if (write.taken || write.insert.end) return false;
        write.insert = { ...write.insert, end };
        return true;
      },
    };
  }

  advance(a: Advance): Promise<Change> {
    return this.writes.write({ advance: a });
  }
}
