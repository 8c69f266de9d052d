import type { RunEvent } from '../../contracts/rest';
import type { Bus } from './bus';

/**
 * One run's events after a given id, each once and in order: what the store already holds,
 * then what the bus brings as it is written. The bus is subscribed to before the store is
 * read, so an event written between the two is held back and sent after the replay rather
 * than lost; an event both read and heard is sent once (ids only grow).
 *
 * A caller that subscribed only after submitting or finding a run would miss whatever the run
 * wrote in between (its first progress, or the whole run when a retry finds it finished).
 */
export class RunEventFeed {
  private sentUpTo: number;
  private pending: RunEvent[] | null = [];
  private closed = false;
  private readonly off: () => void;

  /** Subscribes now; nothing is delivered until start() has replayed the store. */
  constructor(bus: Bus, runId: string, afterId: number, private readonly deliver: (e: RunEvent) => void) {
    this.sentUpTo = afterId;
    this.off = bus.onRunEvents(runId, (e) => (this.pending ? this.pending.push(e) : this.send(e)));
  }

  /** Replays what `read` gives after the starting id, then what arrived meanwhile; live after that. */
  async start(read: (afterId: number) => Promise<RunEvent[]>): Promise<void> {
    try {
      for (const e of await read(this.sentUpTo)) this.send(e);
    } catch (err) {
      this.close();
      throw err;
    }
    const heard = this.pending ?? [];
    this.pending = null;
    for (const e of heard) this.send(e);
  }

  /** The last event id delivered (the starting id when none was). */
  get lastId(): number {
    return this.sentUpTo;
  }

  /** Unsubscribes; nothing more is delivered, even from a replay still being read. */
  close(): void {
    this.closed = true;
    this.pending = null;
    this.off();
  }

  private send(e: RunEvent): void {
    if (this.closed || e.id <= this.sentUpTo) return;
    this.sentUpTo = e.id;
    this.deliver(e);
  }
}
