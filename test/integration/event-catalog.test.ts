/**
 * GET /api/events/catalog on a real backend and its DuckDB events store: empty at first (the
 * Insights panel's empty state), then the events ingested through events.ingest with counts,
 * users, first and last seen, and the property keys; a read, so it adds no run.
 */
import assert from 'node:assert/strict';
import { startBackend, type TestBackend } from '../helpers/backend';
import type { EventCatalog, RunPage } from '../../contracts/rest';

describe('GET /api/events/catalog (real backend, DuckDB)', function () {
  this.timeout(60_000);
  let b: TestBackend;
  before(async () => {
    b = await startBackend();
  });
  after(async () => {
    await b?.close();
  });

  it('is empty before any event, then lists what events.ingest stored, without adding a run', async () => {
    const empty = await b.api<EventCatalog>('GET', '/api/events/catalog');
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.body, { engine: 'duckdb', events: [], properties: [], totals: { events: 0, users: 0, firstSeen: null, lastSeen: null } });
    const ingest = await b.tool('events.ingest', {
      events: [
        { event_name: 'signup_completed', user_id: 'u1', timestamp: '2026-11-01T10:00:00Z', properties: { plan: 'team' } },
        { event_name: 'signup_completed', user_id: 'u2', timestamp: '2026-11-02T10:00:00Z', properties: { plan: 'solo' } },
        { event_name: 'session_started', user_id: 'u1', timestamp: '2026-11-03T10:00:00Z' },
        { event_name: 'session_started', user_id: 'u1', timestamp: '2026-11-04T12:30:00Z' },
      ],
    });
    assert.equal(ingest.status, 'succeeded', JSON.stringify(ingest.error));
    const runsBefore = (await b.api<RunPage>('GET', '/api/runs?limit=100')).body.runs.length;
    const cat = (await b.api<EventCatalog>('GET', '/api/events/catalog')).body;
    assert.deepEqual(
      cat.events.map((e) => [e.name, e.events, e.users, e.firstSeen, e.lastSeen]),
      [
        ['session_started', 2, 1, '2026-11-03T10:00:00.000Z', '2026-11-04T12:30:00.000Z'],
        ['signup_completed', 2, 2, '2026-11-01T10:00:00.000Z', '2026-11-02T10:00:00.000Z'],
      ],
    );
    assert.deepEqual(cat.properties, [{ key: 'plan', events: 2, values: 2 }]);
    assert.deepEqual(cat.totals, { events: 4, users: 2, firstSeen: '2026-11-01T10:00:00.000Z', lastSeen: '2026-11-04T12:30:00.000Z' });
    assert.equal((await b.api<RunPage>('GET', '/api/runs?limit=100')).body.runs.length, runsBefore, 'reading the catalog is not a run');
  });
});
