import assert from 'node:assert/strict';
import { startBackend, until, type TestBackend } from '../helpers/backend';

/**
 * A local handler's effect and its run's end are one commit (issue 8, item 7): when the run's
 * end cannot be written, the effect is not there either, so crash recovery (which fails a
 * non-idempotent run it finds unfinished) can never disagree with the data.
 */
describe('local handlers commit their effect with the run', function () {
  this.timeout(30000);
  let t: TestBackend;
  before(async () => {
    t = await startBackend();
  });
  after(() => t.close());

  const ended = (id: string) =>
    until(async () => {
      const r = (await t.api('GET', `/api/runs/${id}`)).body;
      return ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(r.status) ? r : null;
    }, `run ${id} to end`, 10000);
  const call = async (tool: string, input: unknown) => ended((await t.api('POST', '/api/runs', { tool, input })).body.id);

  const versions = async (runId: string) =>
    (await t.backend.db.query<{ n: number }>('SELECT count(*)::int AS n FROM brand_profile_history WHERE run_id = $1', [runId]))[0].n;

  it('a brand update whose success cannot be stored leaves no version behind', async () => {
    const ok = await call('brand.update_profile', { profile_id: 'p7', patch: { name: 'Acme' } });
    assert.equal(ok.status, 'succeeded', JSON.stringify(ok));
    assert.equal(await versions(ok.id), 1);

    // Stands in for a crash between the handler's write and the run's end: the store refuses
    // to record this tool's success.
    await t.backend.db.exec(`
      CREATE FUNCTION test_refuse_success() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'success not recordable'; END $$;
      CREATE TRIGGER test_refuse_success BEFORE UPDATE ON runs FOR EACH ROW
      WHEN (NEW.status = 'succeeded' AND NEW.tool = 'brand.update_profile') EXECUTE FUNCTION test_refuse_success();`);
    try {
      const run = await call('brand.update_profile', { profile_id: 'p7', patch: { name: 'Other' } });
      assert.equal(run.status, 'failed');
      assert.equal(await versions(run.id), 0, 'the version written by a run that is not succeeded');
      const profile = await call('brand.get_profile', { profile_id: 'p7' });
      assert.equal(profile.output.brand.name, 'Acme');
      // What the store said is not passed on: the run names what happened.
      assert.doesNotMatch(JSON.stringify(run.error), /success not recordable/);
    } finally {
      await t.backend.db.exec('DROP TRIGGER test_refuse_success ON runs; DROP FUNCTION test_refuse_success();');
    }
  });

  it('every succeeded update has exactly one version, and every version a succeeded run', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await t.api('POST', '/api/runs', { tool: 'brand.update_profile', input: { profile_id: 'p8', patch: { name: `n${i}` } } });
      ids.push(res.body.id);
    }
    for (const id of ids) await ended(id);
    const orphans = await t.backend.db.query(
      `SELECT h.run_id FROM brand_profile_history h LEFT JOIN runs r ON r.id = h.run_id WHERE h.profile_id = 'p8' AND (r.status IS DISTINCT FROM 'succeeded')`,
    );
    assert.deepEqual(orphans, []);
  });
});
