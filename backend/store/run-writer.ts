import type { Queryable } from './db';
import { GroupCommit } from './group-commit';
import { writeRuns, type Advance, type NewRun, type StoredRun } from './runs';
import type { RunEvent } from '../../contracts/rest';

type Change = { run: StoredRun; events: RunEvent[] } | null;
type Write = { insert: NewRun } | { advance: Advance };

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
        if ('insert' in w) inserts.push(w.insert);
        else advances.push(w.advance);
      }
      const { inserted, advanced } = await writeRuns(db, inserts, advances);
      let i = 0;
      let a = 0;
      return items.map((w) => ('insert' in w ? inserted[i++] : advanced[a++]));
    });
  }

  insert(run: NewRun): Promise<Change> {
    return this.writes.write({ insert: run });
  }

  advance(a: Advance): Promise<Change> {
    return this.writes.write({ advance: a });
  }
}
