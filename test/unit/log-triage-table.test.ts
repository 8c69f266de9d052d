import assert from 'node:assert/strict';
import { asTriageOutput, flagRank, nextSort, sortRows, summaryLine, type TriageRow } from '../../webviews/runs/triage-table';
import { triageLines } from '../../workers/tasks/log-triage';

/** The Runs panel's log-triage table: which outputs it takes, how it sorts, what its summary says. */
describe('log triage: the Runs panel table', () => {
  const row = (id: string, count: number, flags: string[] = [], extra: Partial<TriageRow> = {}): TriageRow => ({
    id,
    template: `template ${id}`,
    count,
    flags: flags.map((kind) => ({ kind, reason: `${kind} because` })),
    examples: [],
    ...extra,
  });

  it('takes only log-triage outputs, old ones (no flags) included', () => {
    const out = { files_scanned: 1, lines: 2, templates: [row('a', 2)], new_templates: 0, spikes: 0 };
    assert.equal(asTriageOutput('ops.gpu_report', out), undefined);
    assert.equal(asTriageOutput('ops.log_triage', { lines: 2 }), undefined);
    assert.equal(asTriageOutput('ops.log_triage', null), undefined);
    assert.equal(asTriageOutput('ops.log_triage', out), out);
  });

  it('ranks flags new, spike, rare, error, then none', () => {
    assert.deepEqual([row('a', 1, ['error']), row('b', 1, ['rare', 'error']), row('c', 1), row('d', 1, ['new'])].map(flagRank), [3, 2, 4, 0]);
  });

  it('sorts by any column both ways, most urgent flags first by default, ties in the worker order', () => {
    const rows = [row('plain', 50), row('err', 5, ['error'], { level: 'error', first_seen: '2024-01-01T00:00:02Z' }), row('new', 1, ['new'], { level: 'info', first_seen: '2024-01-01T00:00:01Z' }), row('plain2', 50)];
    const ids = (rs: TriageRow[]) => rs.map((r) => r.id);
    assert.deepEqual(ids(sortRows(rows, { column: 'flags', descending: true })), ['new', 'err', 'plain', 'plain2']);
    assert.deepEqual(ids(sortRows(rows, { column: 'count', descending: true })), ['plain', 'plain2', 'err', 'new']);
    assert.deepEqual(ids(sortRows(rows, { column: 'count', descending: false })), ['new', 'err', 'plain', 'plain2']);
    assert.deepEqual(ids(sortRows(rows, { column: 'level', descending: true })), ['err', 'new', 'plain', 'plain2']);
    assert.deepEqual(ids(sortRows(rows, { column: 'first_seen', descending: false })), ['plain', 'plain2', 'new', 'err']);
    assert.deepEqual(nextSort({ column: 'count', descending: true }, 'count'), { column: 'count', descending: false });
    assert.deepEqual(nextSort({ column: 'count', descending: true }, 'template'), { column: 'template', descending: false });
    assert.deepEqual(nextSort({ column: 'template', descending: false }, 'last_seen'), { column: 'last_seen', descending: true });
  });

  it('sums a real triage output up in one line', () => {
    const lines = ['2024-06-14 10:00:00,000 INFO [main] db: Connected to db in 12 ms', '2024-06-14 10:00:01,000 ERROR [main] db: Query failed: timeout after 30 s', '2024-06-14 10:00:02,000 INFO [main] db: Connected to db in 9 ms'];
    const out = asTriageOutput('ops.log_triage', triageLines(lines));
    assert.ok(out);
    assert.match(summaryLine(out), /^3 lines in 1 file, .+ – .+ · 2 templates, 1 flagged \(0 new, 0 spiking\)$/);
    assert.match(summaryLine({ ...out, time_range: { first: null, last: null }, redacted: true }), /no timestamps · 2 templates, 1 flagged .* · values masked$/);
  });
});
