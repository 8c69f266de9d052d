import type { Queryable } from './db';
import { GroupCommit } from './group-commit';
import { advanceRuns, insertRuns, type Advance, type NewRun, type StoredRun } from './runs';
import type { RunEvent } from '../../contracts/rest';

type Change = { run: StoredRun; events: RunEvent[] } | null;

/**
 * The engine's writes outside transactions, group-committed: under load, calls that arrive
 * together share one statement instead of queueing for one each.
 */
export class RunWriter {
  private readonly inserts: GroupCommit<NewRun, Change>;
  private readonly advances: GroupCommit<Advance, Change>;

  constructor(db: Queryable) {
    this.inserts = new GroupCommit((items) => insertRuns(db, items));
    this.advances = new GroupCommit((items) => advanceRuns(db, items));
  }

  insert(run: NewRun): Promise<Change> {
    return this.inserts.write(run);
  }

  advance(a: Advance): Promise<Change> {
    return this.advances.write(a);
  }
}
