import assert from 'node:assert/strict';
import { loadRegistry } from '../../registry/loader';
import { triageLines, type TriageResult, type TriageTemplate } from '../../workers/tasks/log-triage';
import { int, ip, pick, user } from '../fixtures/log-corpus/values';
import { seededRandom } from '../../common/seeded-random';

/**
 * The on-call side of ops.log_triage: time range, top values, redaction, and the rare /
 * new / error / spike flags, each planted in an otherwise steady log and checked to stay
 * quiet on the steady log itself.
 */

const registry = loadRegistry();
const validate = (r: TriageResult) => registry.get('ops.log_triage')!.validateOutput(r);
const byText = (r: TriageResult, prefix: string): TriageTemplate => {
  const t = r.templates.find((x) => x.template.startsWith(prefix));
  assert.ok(t, `no template starting "${prefix}" in:\n${r.templates.map((x) => x.template).join('\n')}`);
  return t;
};
const kinds = (t: TriageTemplate) => t.flags.map((f) => f.kind);

const pad = (n: number) => String(n).padStart(2, '0');
const stamp = (sec: number) => `Jun 14 ${pad(10 + Math.floor(sec / 3600))}:${pad(Math.floor(sec / 60) % 60)}:${pad(sec % 60)}`;

/** A steady sshd log: brute-force failures, closed connections and cron, one line a second from 10:00:00. */
function steady(seed: number, lines: number, start = 0): string[] {
  const r = seededRandom(seed);
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const k = r();
    const h = `${stamp(start + i)} bastion sshd[${int(r, 1000, 30000)}]: `;
    if (k < 0.6) out.push(`${h}Failed password for ${user(r)} from ${ip(r)} port ${int(r, 1024, 65535)} ssh2`);
    else if (k < 0.9) out.push(`${h}Connection closed by ${ip(r)} port ${int(r, 1024, 65535)} [preauth]`);
    else out.push(`${stamp(start + i)} bastion CRON[${int(r, 1000, 30000)}]: pam_unix(cron:session): session opened for user ${pick(r, ['root', 'backup', 'www-data', 'deploy'])} by (uid=0)`);
  }
  return out;
}

describe('log triage: the on-call summary', () => {
  it("gives the log's own time range and each template's first and last seen", () => {
    const lines = steady(1, 2000);
    const r = triageLines(lines, { until: '2024-12-31T00:00:00Z' });
    assert.deepEqual(validate(r), []);
    assert.deepEqual(r.time_range, { first: '2024-06-14T10:00:00.000Z', last: '2024-06-14T10:33:19.000Z' });
    const failed = byText(r, 'Failed password for');
    assert.ok(failed.first_seen! >= r.time_range.first! && failed.last_seen! <= r.time_range.last!);
    assert.equal(failed.level, null, 'sshd writes no level');
    const none = triageLines(['no time here', 'nor here']);
    assert.deepEqual(none.time_range, { first: null, last: null });
    assert.equal(none.templates[0].first_seen, null);
  });

  it('lists the top 5 values of each placeholder with counts', () => {
    const lines: string[] = [];
    const hits: Record<string, number> = { '203.0.113.9': 40, '198.51.100.7': 25, '192.0.2.44': 10, '10.1.1.1': 5, '10.2.2.2': 3, '10.3.3.3': 2, '10.4.4.4': 1 };
    let s = 0;
    for (const [addr, n] of Object.entries(hits)) {
      for (let i = 0; i < n; i++) lines.push(`${stamp(s++)} bastion sshd[42]: Failed password for ${['root', 'admin', 'oracle'][i % 3]} from ${addr} port 22 ssh2`);
    }
    const r = triageLines(lines);
    assert.deepEqual(validate(r), []);
    const t = byText(r, 'Failed password for');
    assert.equal(t.template, 'Failed password for <*> from <*> port <*> ssh2');
    assert.equal(t.variables.length, 3);
    const [users, addrs, ports] = t.variables;
    assert.deepEqual(addrs, {
      slot: 1,
      values: [
        { value: '203.0.113.9', count: 40 },
        { value: '198.51.100.7', count: 25 },
        { value: '192.0.2.44', count: 10 },
        { value: '10.1.1.1', count: 5 },
        { value: '10.2.2.2', count: 3 },
      ],
      other: 3,
    });
    assert.equal(users.values.reduce((n, v) => n + v.count, 0) + users.other, 86);
    assert.deepEqual(new Set(users.values.map((v) => v.value)), new Set(['admin', 'root', 'oracle']));
    assert.deepEqual(ports.values, [{ value: '22', count: 86 }]);
  });

  it('keeps multi-word values whole (a folded size, a quoted value)', () => {
    const r = triageLines(['sent 1190 bytes (1.16 KB) to a', 'sent 20 bytes (0.02 KB) to a', 'sent 3 bytes (0 KB) to a']);
    assert.deepEqual(
      r.templates[0].variables[0].values.map((v) => v.value).sort(),
      ['1190 bytes (1.16 KB)', '20 bytes (0.02 KB)', '3 bytes (0 KB)'],
    );
  });

  it('masks values, examples and templates when redacted, and shows them when not', () => {
    const lines = ['user alice@example.com logged in from 203.0.113.9', 'user bob@example.com logged in from 198.51.100.7', 'user alice@example.com logged in from 203.0.113.9'];
    const mask = (s: string) => s.replace(/[\w.]+@[\w.]+/g, '[email]').replace(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g, '[ip]');
    const shown = triageLines(lines);
    const hidden = triageLines(lines, { redact: mask });
    assert.deepEqual(validate(hidden), []);
    assert.equal(shown.redacted, false);
    assert.equal(hidden.redacted, true);
    assert.deepEqual(shown.templates[0].variables[0].values, [{ value: 'alice@example.com', count: 2 }, { value: 'bob@example.com', count: 1 }]);
    assert.deepEqual(hidden.templates[0].variables[0].values, [{ value: '[email]', count: 3 }]);
    assert.deepEqual(hidden.templates[0].variables[1].values, [{ value: '[ip]', count: 3 }]);
    assert.ok(hidden.templates[0].examples.every((e) => !e.includes('@') && !e.includes('203.0')));
    assert.ok(shown.templates[0].examples[0].includes('alice@example.com'));
    assert.equal(hidden.templates[0].id, shown.templates[0].id, 'ids do not depend on the redact choice');
  });

  it('flags nothing on a steady log, against no previous run or against itself', () => {
    const first = triageLines(steady(2, 3000), { since: null, until: '2024-06-14T11:00:00Z' });
    for (const t of first.templates) assert.deepEqual(t.flags, [], t.template);
    // The same traffic an hour later, compared with the first run.
    const previous = { run_id: 'run-1', window: { since: '2024-06-14T09:10:00Z', until: '2024-06-14T10:00:00Z' }, templates: first.templates };
    const later = triageLines(steady(3, 3000, 3000), { previous, until: '2024-06-14T10:50:00Z' });
    assert.deepEqual(validate(later), []);
    for (const t of later.templates) assert.deepEqual(t.flags, [], t.template);
    assert.equal(later.new_templates, 0);
    assert.equal(later.spikes, 0);
  });

  it('flags the one successful login among thousands of failures as rare, and puts it first', () => {
    const lines = steady(4, 3000);
    lines.splice(1700, 0, `${stamp(1700)} bastion sshd[999]: Accepted password for deploy from 198.51.100.23 port 50022 ssh2`);
    const r = triageLines(lines);
    const accepted = byText(r, 'Accepted password for');
    assert.deepEqual(accepted.flags, [{ kind: 'rare', reason: '1 line of 3001 (0.03%)' }]);
    assert.equal(r.templates[0], accepted);
    for (const t of r.templates.slice(1)) assert.deepEqual(t.flags, [], t.template);
  });

  it('flags error-level templates, with how many of their lines are errors', () => {
    const lines = Array.from({ length: 50 }, (_, i) => `2024-06-14 10:00:${pad(i)},000 INFO [main] app: Request ${i} served in ${i} ms`);
    lines.push('2024-06-14 10:00:51,000 ERROR [main] app: Payment provider returned 502 for order 7');
    lines.push('2024-06-14 10:00:52,000 ERROR [main] app: Payment provider returned 503 for order 9');
    const r = triageLines(lines);
    const payment = byText(r, 'Payment provider');
    assert.deepEqual(payment.flags, [{ kind: 'error', reason: '2 of 2 lines are errors' }]);
    assert.equal(payment.level, 'error');
    assert.deepEqual(byText(r, 'Request').flags, []);
  });

  it('flags templates new since the last successful run, and spikes by rate, with their reasons', () => {
    const first = triageLines(steady(5, 3000), { since: null, until: '2024-06-14T11:00:00Z' });
    const previous = { run_id: 'run-7', window: { since: '2024-06-14T09:10:00Z', until: '2024-06-14T10:00:00Z' }, templates: first.templates };
    // 50 minutes later: the same traffic, plus a new template, and cron ten times as often.
    const lines = steady(6, 3000, 3000);
    const r0 = seededRandom(9);
    for (let i = 0; i < 2500; i++) lines.push(`${stamp(3000 + (i % 3000))} bastion CRON[${int(r0, 1000, 30000)}]: pam_unix(cron:session): session opened for user ${pick(r0, ['root', 'backup', 'www-data', 'deploy'])} by (uid=0)`);
    lines.push(`${stamp(4000)} bastion sshd[77]: error: maximum authentication attempts exceeded for root from 192.0.2.1 port 2222 ssh2 [preauth]`);
    const r = triageLines(lines, { previous, until: '2024-06-14T10:50:00Z' });
    assert.deepEqual(validate(r), []);
    const fresh = byText(r, 'error: maximum authentication');
    // sshd wrote "error:" before it: error level, too.
    assert.deepEqual(kinds(fresh), ['new', 'rare', 'error']);
    assert.equal(fresh.flags[0].reason, 'not seen in run run-7');
    const cron = byText(r, 'pam_unix');
    assert.deepEqual(kinds(cron), ['spike']);
    assert.match(cron.flags[0].reason, /^\d+ lines vs \d+ in run run-7 \(rate ×\d+(\.\d)?\)$/);
    assert.equal(r.templates[0], fresh, 'new first');
    assert.equal(r.templates[1], cron, 'then spikes');
    assert.deepEqual(byText(r, 'Failed password').flags, []);
  });
});
