import { strict as assert } from 'node:assert';
import type { RunEvent } from '../../contracts/rest';
import { Bus } from '../../backend/runs/bus';
import { RunEventFeed } from '../../backend/runs/run-event-feed';

const event = (id: number, runId = 'r1'): RunEvent => ({ id, runId, type: 'log', data: { level: 'info', message: `line ${id}` }, createdAt: new Date(0).toISOString() });

describe('RunEventFeed: stored events, then live ones, none lost and none twice', () => {
  it('delivers what was written before it subscribed, what came during the replay, and what comes after, once each and in order', async () => {
    const bus = new Bus();
    const stored = [event(1), event(2)];
    const got: number[] = [];
    const feed = new RunEventFeed(bus, 'r1', 0, (e) => got.push(e.id));
    await feed.start(async (after) => {
      // Written while the store is being read: heard on the bus, and event 2 read as well.
      bus.emitRunEvent(event(2));
      bus.emitRunEvent(event(3));
      return stored.filter((e) => e.id > after);
    });
    bus.emitRunEvent(event(4));
    bus.emitRunEvent(event(3)); // a repeat is dropped
    bus.emitRunEvent(event(9, 'other-run'));
    assert.deepEqual(got, [1, 2, 3, 4]);
    assert.equal(feed.lastId, 4);
    feed.close();
    bus.emitRunEvent(event(5));
    assert.deepEqual(got, [1, 2, 3, 4], 'nothing after close');
  });

  it('resumes after the id it is given and reads the store from there', async () => {
    const bus = new Bus();
    const got: number[] = [];
    let asked = -1;
    const feed = new RunEventFeed(bus, 'r1', 2, (e) => got.push(e.id));
    await feed.start(async (after) => {
      asked = after;
      return [event(3)];
    });
    bus.emitRunEvent(event(2));
    bus.emitRunEvent(event(4));
    feed.close();
    assert.equal(asked, 2);
    assert.deepEqual(got, [3, 4]);
  });

  it('a store read that fails unsubscribes and rethrows', async () => {
    const bus = new Bus();
    const got: number[] = [];
    const feed = new RunEventFeed(bus, 'r1', 0, (e) => got.push(e.id));
    await assert.rejects(feed.start(async () => Promise.reject(new Error('store down'))), /store down/);
    bus.emitRunEvent(event(1));
    assert.deepEqual(got, []);
  });
});
