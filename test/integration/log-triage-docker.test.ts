import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../helpers/backend';
import { ensureDockerAndWorkerImage, startDockerBackend, type DockerTestBackend } from '../helpers/docker';
import { runDirective, updateDirective } from '../../backend/store/directives';
import type { Run } from '../../contracts/rest';
import { seededRandom } from '../../common/seeded-random';

/**
 * ops.log_triage end to end: a logs folder of generated lines, the run through the engine and a
 * real worker container (the logs folder mounted read-only), its output checked against the
 * registry and against what was written; then new lines, and the new / spike flags against
 * the last successful run of the same directive. Nothing here skips: without a Docker engine
 * the `before` hook fails and says why.
 */

interface Template {
  id: string;
  template: string;
  count: number;
  levels: Record<string, number>;
  level: string | null;
  first_seen: string | null;
  last_seen: string | null;
  is_new: boolean;
  spike: boolean;
  flags: Array<{ kind: string; reason: string }>;
  variables: Array<{ slot: number; values: Array<{ value: string; count: number }>; other: number }>;
  examples: string[];
  line_numbers?: number[];
  file?: string;
}
interface Output {
  files_scanned: number;
  lines: number;
  time_range: { first: string | null; last: string | null };
  redacted: boolean;
  templates: Template[];
  new_templates: number;
  spikes: number;
  since_run_id: string | null;
  window: { since: string | null; until: string };
}

type Kind = 'served' | 'slow' | 'failed' | 'cleanup' | 'declined';
const rnd = seededRandom(42);
const int = (n: number) => Math.floor(rnd() * n);
const TABLES = ['users', 'orders', 'items', 'carts', 'invoices'];

function line(kind: Kind, at: Date): string {
  const ts = at.toISOString();
  switch (kind) {
    case 'served':
      return `${ts} INFO [api] request ${1000 + int(9000)} served in ${1 + int(400)} ms`;
    case 'slow':
      return `${ts} WARN [db] slow query on table ${TABLES[int(TABLES.length)]} took ${500 + int(3000)} ms`;
    case 'failed':
      return `${ts} ERROR [jobs] job ${int(100000)} failed: connection refused by upstream`;
    case 'cleanup':
      return `${ts} INFO [cron] cleanup removed ${int(500)} stale files`;
    case 'declined':
      return `${ts} ERROR [payments] card declined for order ${int(1_000_000)} by the issuer`;
  }
}

/** Writes `kinds` as lines, one second apart from `start`; returns the one-based line numbers per kind. */
function writeLines(file: string, kinds: Kind[], start: Date, append = false, firstLine = 1): Map<Kind, number[]> {
  const numbers = new Map<Kind, number[]>();
  const text = kinds.map((k, i) => {
    numbers.set(k, [...(numbers.get(k) ?? []), firstLine + i]);
    return line(k, new Date(start.getTime() + i * 1000));
  });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  (append ? fs.appendFileSync : fs.writeFileSync)(file, `${text.join('\n')}\n`);
  fs.chmodSync(file, 0o644); // the worker runs as uid 10001: what it reads must be readable by others
  return numbers;
}

/** `n` of each kind, shuffled deterministically. */
function mix(counts: Partial<Record<Kind, number>>): Kind[] {
  const out: Kind[] = [];
  for (const [k, n] of Object.entries(counts) as Array<[Kind, number]>) for (let i = 0; i < n; i++) out.push(k);
  for (let i = out.length - 1; i > 0; i--) {
    const j = int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const MARKERS: Record<Kind, string> = { served: 'served in', slow: 'slow query', failed: 'connection refused', cleanup: 'stale files', declined: 'card declined' };
function templateOf(out: Output, kind: Kind): Template[] {
  return out.templates.filter((t) => t.template.includes(MARKERS[kind]));
}
function one(out: Output, kind: Kind): Template {
  const found = templateOf(out, kind);
  assert.equal(found.length, 1, `exactly one template for "${MARKERS[kind]}" in ${JSON.stringify(out.templates.map((t) => t.template))}`);
  return found[0]!;
}

describe('ops.log_triage in a Docker worker (real engine)', function () {
  this.timeout(120_000);
  let t: DockerTestBackend;
  let logs: string;
  let appLines: Map<Kind, number[]>;
  let first: Run;
  let second: Run;
  let twoHoursAgo: Date;

  before(async function () {
    this.timeout(20 * 60_000); // first run on a bare machine: apt-get install docker.io, then the image
    ensureDockerAndWorkerImage();
    logs = tempDir('product-os-logs-');
    fs.chmodSync(logs, 0o755); // readable by the worker user (uid 10001), like every folder under it
    twoHoursAgo = new Date(Math.floor((Date.now() - 2 * 3600_000) / 1000) * 1000);
    appLines = writeLines(path.join(logs, 'app.log'), mix({ served: 40, slow: 5, failed: 4 }), twoHoursAgo);
    writeLines(path.join(logs, 'sub', 'cron.log'), mix({ cleanup: 6 }), new Date(twoHoursAgo.getTime() + 60_000));
    fs.chmodSync(path.join(logs, 'sub'), 0o755);
    t = await startDockerBackend({ env: { PRODUCT_OS_LOGS: logs }, executor: { gpuProbe: async () => [] } });
  });
  after(async () => {
    await t?.close();
    if (logs) fs.rmSync(logs, { recursive: true, force: true });
  });

  const submit = async (input: Record<string, unknown>): Promise<Run> => (await t.backend.engine.submit({ tool: 'ops.log_triage', input, caller: 'test' })).run;
  const finish = (run: Run) => t.backend.engine.waitForTerminal(run.id);
  const succeeded = async (input: Record<string, unknown>): Promise<{ run: Run; out: Output }> => {
    const run = await finish(await submit(input));
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    const violations = t.backend.context.registry.get('ops.log_triage')!.validateOutput(run.output);
    assert.deepEqual(violations, [], 'the output is valid against the registry\'s outputSchema');
    return { run, out: run.output as Output };
  };

  it('is available: the log_triage task is implemented in the worker image', async () => {
    const res = await t.api('GET', '/api/tools');
    const tool = res.body.tools.find((x: { name: string }) => x.name === 'ops.log_triage');
    assert.ok(tool, 'ops.log_triage is listed');
    assert.notEqual(tool.available, false, JSON.stringify(tool));
  });

  it('first run: templates, counts and levels right, line groups give line numbers, nothing new, directive D1 kept on the run', async () => {
    const { run, out } = await succeeded({ include_line_groups: true, max_examples: 2 });
    first = run;
    assert.equal(out.files_scanned, 2);
    assert.equal(out.lines, 55);
    assert.equal(out.since_run_id, null);
    assert.equal(out.window.since, null);
    assert.ok(Date.parse(out.window.until) <= Date.parse(run.finishedAt!), 'until is when the scan started');
    assert.equal(out.new_templates, 0);
    assert.equal(out.spikes, 0);
    assert.ok(out.templates.every((x) => !x.is_new && !x.spike), 'a first run flags nothing new or spiking');
    // The logs' own time range: app.log's first line to cron.log's last (one line a second).
    assert.deepEqual(out.time_range, { first: twoHoursAgo.toISOString(), last: new Date(twoHoursAgo.getTime() + 60_000 + 5_000).toISOString() });
    assert.equal(out.redacted, true, 'DEBUG_REDACTED_MODE is on by default');

    const expect: Array<[Kind, number, string, string]> = [
      ['served', 40, 'info', 'app.log'],
      ['slow', 5, 'warn', 'app.log'],
      ['failed', 4, 'error', 'app.log'],
      ['cleanup', 6, 'info', path.join('sub', 'cron.log')],
    ];
    for (const [kind, count, level, file] of expect) {
      const x = one(out, kind);
      assert.equal(x.count, count, `${kind} count`);
      assert.deepEqual(x.levels, { [level]: count }, `${kind} levels`);
      assert.equal(x.level, level);
      assert.ok(x.first_seen && x.last_seen && x.first_seen <= x.last_seen, `${kind} first and last seen`);
      assert.deepEqual(x.flags.map((f) => f.kind), level === 'error' ? ['error'] : [], `${kind} flags`);
      assert.ok(x.variables.length >= 1 && x.variables.every((v) => v.values.reduce((n, c) => n + c.count, 0) + v.other === count), `${kind} top values add up`);
      assert.equal(x.file, file);
      assert.ok(x.examples.length >= 1 && x.examples.length <= 2, 'max_examples honoured');
      assert.ok(x.examples.every((e) => e.includes(MARKERS[kind])), 'examples are lines of the template');
      if (file === 'app.log') assert.deepEqual(x.line_numbers, appLines.get(kind), `${kind} line numbers`);
      else assert.deepEqual(x.line_numbers, [1, 2, 3, 4, 5, 6]);
    }
    assert.equal(out.templates.length, 4, JSON.stringify(out.templates.map((x) => x.template)));
    assert.ok(one(out, 'served').template.includes('<*>'), 'variable parts are placeholders');
    // Flagged first (the error template), then the most frequent.
    assert.equal(out.templates[0]!.template, one(out, 'failed').template);
    const rest = out.templates.slice(1).map((x) => x.count);
    assert.deepEqual(rest, [...rest].sort((a, b) => b - a));

    // The directive it used, kept on the run.
    const kept = await runDirective(t.backend.db, run.id);
    assert.ok(kept?.directive);
    assert.equal(kept.directive.id, 'D1');
    assert.equal(kept.directive.name, 'Log triage');
    assert.equal(kept.directive.version, 1);
    assert.match(kept.directive.text, /new/);
    assert.deepEqual(kept.directive.config, { spike: { ratio: 3, min_count: 10 } });

    // Progress and log lines reached the run.
    const events = await t.backend.engine.events(run.id, 0);
    assert.ok(events.some((e) => e.type === 'progress'), 'progress events');
    const logLines = events.filter((e) => e.type === 'log').map((e) => (e.data as { message: string }).message);
    assert.ok(logLines.some((m) => /2 file\(s\)/.test(m)), JSON.stringify(logLines));
    assert.ok(logLines.some((m) => /55 lines, 4 templates, 0 new, 0 spiking/.test(m)), JSON.stringify(logLines));
  });

  it('second run with new lines: counts only the lines since the first run, flags the new template and the spike', async () => {
    assert.ok(first, 'runs after the first run');
    // Lines written after the first run's window: now and the next seconds.
    const firstOut = first.output as Output;
    const start = new Date(Math.max(Date.now(), Date.parse(firstOut.window.until) + 1000));
    writeLines(path.join(logs, 'app.log'), mix({ served: 130, failed: 2, declined: 3 }), start, true, 50);
    const { run, out } = await succeeded({});
    second = run;
    assert.equal(out.since_run_id, first.id);
    assert.equal(out.window.since, firstOut.window.until);
    assert.equal(out.lines, 55 + 135, 'every line is read; only those in the window are counted');

    const served = one(out, 'served');
    assert.equal(served.count, 130);
    assert.equal(served.is_new, false);
    assert.equal(served.spike, true, '130 lines against 40 last time: at least 3x, with at least 10 lines');
    const declined = one(out, 'declined');
    assert.equal(declined.count, 3);
    assert.equal(declined.is_new, true);
    assert.deepEqual(declined.levels, { error: 3 });
    const failed = one(out, 'failed');
    assert.equal(failed.count, 2);
    assert.equal(failed.is_new, false);
    assert.equal(failed.spike, false);
    assert.deepEqual(templateOf(out, 'slow'), [], 'nothing logged since: not in this window');
    assert.deepEqual(templateOf(out, 'cleanup'), []);
    assert.equal(out.new_templates, 1);
    assert.equal(out.spikes, 1);
    assert.equal(out.templates.length, 3);
    // What to look at first: the new template, then the spike, then the steady error; each says why.
    assert.deepEqual(out.templates.map((x) => x.flags.map((f) => f.kind)), [['new', 'error'], ['spike'], ['error']]);
    assert.deepEqual(out.templates.map((x) => x.template), [declined.template, served.template, failed.template]);
    assert.equal(declined.flags[0]!.reason, `not seen in run ${first.id}`);
    // The first run read all history (no window start), so counts are compared, not rates.
    assert.equal(served.flags[0]!.reason, `130 lines vs 40 in run ${first.id}`);
    assert.ok(out.templates.every((x) => x.line_numbers === undefined && x.file === undefined), 'no line groups unless asked');
    const events = await t.backend.engine.events(run.id, 0);
    const logLines = events.filter((e) => e.type === 'log').map((e) => (e.data as { message: string }).message);
    assert.ok(logLines.some((m) => /^new: .*card declined/.test(m)), JSON.stringify(logLines));
    assert.ok(logLines.some((m) => /^spike: .*served in/.test(m)), JSON.stringify(logLines));
  });

  it('the window is per directive: a first run of D4 on the same logs flags nothing, and keeps D4 (at its current version) on the run', async () => {
    assert.ok(second, 'runs after the second run');
    await t.backend.db.transaction((tx) => updateDirective(tx, 'D4', { ifVersion: 1, text: 'Sensitive log triage, edited for this test.' }, 'test', t.backend.registry));
    const { run, out } = await succeeded({ directive_id: 'D4' });
    assert.equal(out.since_run_id, null);
    assert.equal(out.window.since, null);
    assert.equal(out.new_templates, 0);
    assert.equal(out.spikes, 0);
    assert.equal(one(out, 'served').count, 170);
    const kept = await runDirective(t.backend.db, run.id);
    assert.deepEqual(kept?.directive, { id: 'D4', name: 'Custom: sensitive log triage', version: 2, text: 'Sensitive log triage, edited for this test.', config: { spike: { ratio: 2, min_count: 5 } } });
    // And D1's next run still starts from D1's last run.
    const again = await succeeded({});
    assert.equal((again.out as Output).since_run_id, second.id);
  });

  it('honours path: one file, or one folder, inside the logs folder; the window is per path too', async () => {
    const file = await succeeded({ path: 'sub/cron.log', include_line_groups: true });
    assert.equal(file.out.files_scanned, 1);
    assert.equal(file.out.lines, 6);
    assert.equal(file.out.since_run_id, null, 'no earlier D1 run read this path');
    assert.equal(one(file.out, 'cleanup').count, 6);
    assert.deepEqual(one(file.out, 'cleanup').line_numbers, [1, 2, 3, 4, 5, 6]);
    assert.equal(one(file.out, 'cleanup').file, path.join('sub', 'cron.log'));
    const same = await succeeded({ path: './sub/cron.log' });
    assert.equal(same.out.since_run_id, file.run.id, '"./sub/cron.log" is the same path as "sub/cron.log"');
    assert.deepEqual(same.out.templates, [], 'nothing logged there since');
    const folder = await succeeded({ path: './sub/' });
    assert.equal(folder.out.files_scanned, 1);
    assert.equal(folder.out.since_run_id, null, 'the folder is another path: its own window');
    assert.equal(one(folder.out, 'cleanup').count, 6);
  });

  it('masks examples in redacted debug mode (the default): emails, addresses, keys; ordinary words stay', async () => {
    const mail = path.join(logs, 'mail');
    fs.mkdirSync(mail, { mode: 0o755 });
    const at = new Date(Date.now() - 3600_000).toISOString();
    const text = [0, 1, 2, 3].map((i) => `${at} INFO [smtp] worker ${i} sent mail to jane.doe${i}@example.com via 10.1.2.${i} with api_key=abcd1234efgh${i}`).join('\n');
    fs.writeFileSync(path.join(mail, 'mail.log'), `${text}\n`, { mode: 0o644 });
    try {
      const { out } = await succeeded({ path: 'mail', max_examples: 4 });
      assert.equal(out.templates.length, 1);
      const x = out.templates[0]!;
      assert.equal(x.count, 4);
      assert.equal(x.examples.length, 4);
      for (const e of x.examples) {
        assert.ok(!/jane\.doe|10\.1\.2\.|abcd1234/.test(e), e);
        assert.match(e, /\[redacted-email\]/);
        assert.match(e, /\[redacted-ip\]/);
        assert.match(e, /api_key=\[redacted\]/);
        assert.match(e, /INFO \[smtp\] worker \d sent mail/, 'the worker user name is not taken for a person\'s');
      }
      // The values behind the placeholders are masked the same way.
      const shown = x.variables.flatMap((v) => v.values.map((c) => c.value));
      assert.ok(shown.includes('[redacted-email]') && shown.includes('[redacted-ip]'), JSON.stringify(x.variables));
      assert.ok(!shown.some((v) => /jane\.doe|10\.1\.2\./.test(v)), JSON.stringify(x.variables));

      // A run may ask to see them: `redact: false` shows examples and values as written (under
      // another directive, whose window on this path starts empty: the lines are counted again).
      const open = await succeeded({ path: 'mail', max_examples: 4, redact: false, directive_id: 'D4' });
      assert.equal(open.out.redacted, false);
      const y = open.out.templates[0]!;
      assert.ok(y.examples.some((e) => e.includes('jane.doe0@example.com')), JSON.stringify(y.examples));
      const emails = y.variables.find((v) => v.values.some((c) => c.value.includes('@')));
      assert.deepEqual(emails?.values.map((c) => c.value).sort(), [0, 1, 2, 3].map((i) => `jane.doe${i}@example.com`));
    } finally {
      fs.rmSync(mail, { recursive: true, force: true });
    }
  });

  it('refuses paths that leave the logs folder: "..", and a symlink pointing out of it', async () => {
    const up = await finish(await submit({ path: '../../etc' }));
    assert.equal(up.status, 'failed');
    assert.equal(up.error?.code, 'invalid_input');
    assert.match(up.error!.message, /outside the logs folder/);

    fs.symlinkSync('/etc', path.join(logs, 'escape'));
    try {
      const link = await finish(await submit({ path: 'escape' }));
      assert.equal(link.status, 'failed');
      assert.equal(link.error?.code, 'invalid_input', JSON.stringify(link.error));
      assert.match(link.error!.message, /outside the logs folder/);
      // A whole-folder scan skips the link instead of following it.
      const all = await succeeded({ directive_id: 'D4' });
      assert.ok(all.out.templates.every((x) => x.examples.every((e) => !e.includes('root:x:0'))));
    } finally {
      fs.unlinkSync(path.join(logs, 'escape'));
    }
  });

  it('a path that does not exist, a file the worker user cannot read, an unknown or foreign directive: clear errors', async () => {
    const missing = await finish(await submit({ path: 'nope.log' }));
    assert.equal(missing.status, 'failed');
    assert.equal(missing.error?.code, 'not_found');
    assert.match(missing.error!.message, /nope\.log/);

    const locked = path.join(logs, 'locked');
    fs.mkdirSync(locked, { mode: 0o755 });
    fs.writeFileSync(path.join(locked, 'secret.log'), `${line('served', new Date())}\n`, { mode: 0o600 });
    try {
      const denied = await finish(await submit({ path: 'locked' }));
      assert.equal(denied.status, 'failed');
      assert.equal(denied.error?.code, 'not_configured', JSON.stringify(denied.error));
      assert.match(denied.error!.message, /uid 10001/);
      assert.match(denied.error!.message, /locked\/secret\.log/);
    } finally {
      fs.rmSync(locked, { recursive: true, force: true });
    }

    const unknown = await finish(await submit({ directive_id: 'D999' }));
    assert.equal(unknown.status, 'failed');
    assert.equal(unknown.error?.code, 'invalid_input');
    assert.match(unknown.error!.message, /no directive D999/);
    const foreign = await finish(await submit({ directive_id: 'D2' }));
    assert.equal(foreign.status, 'failed');
    assert.equal(foreign.error?.code, 'invalid_input');
    assert.match(foreign.error!.message, /D2 is for ops\.gpu_report/);
  });
});
