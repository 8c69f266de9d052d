import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  groupingAccuracy,
  labelsFromLineGroups,
  learnHeader,
  listLogFiles,
  logSources,
  maskMessage,
  parseTimestamp,
  PathOutsideLogsError,
  splitHeader,
  templateId,
  TemplateMiner,
  maskTokens,
  triage,
  triageLines,
  type TriageResult,
} from '../../workers/tasks/log-triage';
import { loadRegistry } from '../../registry/loader';
import { seededRandom } from '../../common/seeded-random';

/** Mines messages (already without header) and returns template text per message. */
function mine(messages: string[]): string[] {
  const miner = new TemplateMiner();
  const ids = messages.map((m) => miner.add(maskTokens(m)));
  miner.finish();
  return ids.map((id) => miner.templateOf(id));
}

describe('log triage: masking', () => {
  const cases: Array<[string, string]> = [
    ['Received connection request /10.10.34.11:45307', 'Received connection request <*>'],
    ['Accepted from [2001:db8::ff00:42:8329]:443 and fe80::1%eth0', 'Accepted from <*> and <*>'],
    ['GET https://api.example.com/v1/users?id=42 done', 'GET <*> done'],
    ['request 123e4567-e89b-12d3-a456-426614174000 failed', 'request <*> failed'],
    ['PacketResponder 1 for block blk_-6952295868487656571 terminating', 'PacketResponder <*> for block blk_<*> terminating'],
    ['Verification succeeded for blk_38865049064139660', 'Verification succeeded for blk_<*>'],
    ['mail from jane.doe@example.com rejected', 'mail from <*> rejected'],
    ['workerEnv.init() ok /etc/httpd/conf/workers2.properties', 'workerEnv.init() ok <*>'],
    ['session 0x14ed93111f20027 with timeout 10000', 'session <*> with timeout <*>'],
    ['object deadbeef00a1 freed; mac 00:1a:2b:3c:4d:5e', 'object <*> freed; mac <*>'],
    ['close, 1190 bytes (1.16 KB) sent, 815 bytes received, lifetime <1 sec', 'close, <*> sent, <*> received, lifetime <*>'],
    ['took 35ms, 2.5s total, 45% cpu', 'took <*>, <*> total, <*> cpu'],
    ['logname= uid=0 euid=0 tty=ssh ruser= rhost=218.188.2.4 user=root', 'logname= uid=<*> euid=<*> tty=ssh ruser= rhost=<*> user=root'],
    ['set name="a b c" mode=fast', 'set name=<*> mode=fast'],
    ['connection from 24.54.76.216 (24-54-76-216.bflony.adelphia.net) at Fri Jun 17 07:07:00 2005', 'connection from <*> at <*>'],
    ['reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed', 'reverse mapping checking getaddrinfo for <*> failed'],
    ['ask 10.250.14.224:50010 to delete blk_-1608999687919862906 blk_7503483334202473044 blk_-3544583377289625738', 'ask <*> to delete blk_<*>'],
    ['proxy.cse.cuhk.edu.hk:5070 open through proxy HTTPS', '<*> open through proxy HTTPS'],
  ];
  for (const [input, expected] of cases) {
    it(`masks: ${input.slice(0, 60)}`, () => assert.equal(maskMessage(input), expected));
  }
  it('leaves plain words alone, digits and all, for the miner to decide', () => {
    assert.equal(maskMessage('open through proxy SOCKS5 via ssh2 for IPv6'), 'open through proxy SOCKS5 via ssh2 for IPv6');
    assert.equal(maskMessage('Failed password for root from 1.2.3.4 port 22 ssh2'), 'Failed password for root from <*> port <*> ssh2');
    assert.equal(maskMessage('rpc.statd startup succeeded'), 'rpc.statd startup succeeded');
  });
});

describe('log triage: header detection', () => {
  const formats: Record<string, { lines: string[]; messages: string[]; levels: Array<string | undefined> }> = {
    HDFS: {
      lines: [
        '081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating',
        '081109 204005 35 INFO dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock: blockMap updated: 10.251.73.220:50010 is added to blk_7128370237687728475 size 67108864',
        '081109 204106 329 WARN dfs.DataNode: Got exception while serving blk_1 to /10.1.1.1',
      ],
      messages: ['PacketResponder 1 for block blk_38865049064139660 terminating', 'BLOCK* NameSystem.addStoredBlock: blockMap updated: 10.251.73.220:50010 is added to blk_7128370237687728475 size 67108864', 'Got exception while serving blk_1 to /10.1.1.1'],
      levels: ['info', 'info', 'warn'],
    },
    syslog: {
      lines: [
        'Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186',
        'Dec 10 09:12:37 LabSZ sshd[24494]: error: Received disconnect from 103.99.0.122: 14: No more user authentication methods available. [preauth]',
        'Jun  9 06:06:20 combo syslogd 1.4.1: restart.',
        'Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown',
      ],
      messages: ['Invalid user webmaster from 173.234.31.186', 'error: Received disconnect from 103.99.0.122: 14: No more user authentication methods available. [preauth]', 'restart.', 'check pass; user unknown'],
      levels: [undefined, 'error', undefined, undefined],
    },
    Apache: {
      lines: ['[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties', '[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6', '[Sat Dec 03 10:00:00 2005] [error] [client 1.2.3.4] Directory index forbidden by rule: /var/www/html/'],
      messages: ['workerEnv.init() ok /etc/httpd/conf/workers2.properties', 'mod_jk child workerEnv in error state 6', '[client 1.2.3.4] Directory index forbidden by rule: /var/www/html/'],
      levels: ['notice', 'error', 'error'],
    },
    Zookeeper: {
      lines: [
        '2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200',
        '2015-07-29 19:04:29,071 - WARN  [SendWorker:188978561024:QuorumCnxManager$SendWorker@688] - Send worker leaving thread',
      ],
      messages: ['Notification time out: 3200', 'Send worker leaving thread'],
      levels: ['info', 'warn'],
    },
    Proxifier: {
      lines: ['[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS', '[07.26 13:31:12] chrome.exe *64 - www.baidu.com:80 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS', '[10.30 16:49:07] Dropbox.exe - block.dropbox.com:443 close, 0 bytes sent, 0 bytes received, lifetime 00:01'],
      messages: ['proxy.cse.cuhk.edu.hk:5070 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS', 'www.baidu.com:80 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS', 'block.dropbox.com:443 close, 0 bytes sent, 0 bytes received, lifetime 00:01'],
      levels: [undefined, undefined, undefined],
    },
    klog: {
      lines: ['I0614 15:16:04.620382   22648 kubelet.go:2105] Successfully pulled image', 'E0614 15:16:05.419794   58686 leaderelection.go:330] error retrieving resource lock', 'W0614 15:16:06.000001       7 prober.go:116] Liveness probe failed'],
      messages: ['Successfully pulled image', 'error retrieving resource lock', 'Liveness probe failed'],
      levels: ['info', 'error', 'warn'],
    },
    python: {
      lines: ['2024-01-01 12:00:00,123 - myapp.db - INFO - Connected to db in 12 ms', '2024-01-01 12:00:02,001 - myapp.db - ERROR - Query failed: timeout'],
      messages: ['Connected to db in 12 ms', 'Query failed: timeout'],
      levels: ['info', 'error'],
    },
    pipes: {
      lines: ['20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579', '20171223-22:15:29:633|Step_StandReportReceiver|30002312|onReceive action: android.intent.action.SCREEN_ON'],
      messages: ['onStandStepChanged 3579', 'onReceive action: android.intent.action.SCREEN_ON'],
      levels: [undefined, undefined],
    },
    json: {
      lines: ['{"level":30,"time":1718000000000,"pid":7,"msg":"request completed","reqId":"a1"}', '{"ts":"2024-06-14T15:16:01Z","severity":"WARNING","message":"disk almost full"}'],
      messages: ['request completed', 'disk almost full'],
      levels: ['info', 'warn'],
    },
    logfmt: {
      lines: ['ts=2024-06-14T15:16:01Z level=warn msg="cache miss" key=user:42', 'ts=2024-06-14T15:16:02Z level=error msg="db down" retry=3'],
      messages: ['cache miss', 'db down'],
      levels: ['warn', 'error'],
    },
    'no header': {
      lines: ['Starting server on port 8080', 'Connected to database', 'Request GET /users took 12ms'],
      messages: ['Starting server on port 8080', 'Connected to database', 'Request GET /users took 12ms'],
      levels: [undefined, undefined, undefined],
    },
  };
  for (const [name, f] of Object.entries(formats)) {
    it(`finds the header of ${name} lines without being told the format`, () => {
      const model = learnHeader(f.lines);
      const parsed = f.lines.map((l) => splitHeader(l, model));
      assert.deepEqual(parsed.map((p) => p.message), f.messages);
      assert.deepEqual(parsed.map((p) => p.level), f.levels);
    });
  }
  it('does not take a level word that starts half the messages for header', () => {
    const lines = ['Dec 10 06:55:46 host app[1]: error: disk full', 'Dec 10 06:55:47 host app[1]: started', 'Dec 10 06:55:48 host app[1]: error: disk full', 'Dec 10 06:55:49 host app[1]: ready'];
    const model = learnHeader(lines);
    assert.equal(splitHeader(lines[0], model).message, 'error: disk full');
    assert.equal(splitHeader(lines[0], model).level, 'error');
  });
  it('parses the common timestamp forms to epoch milliseconds', () => {
    assert.equal(parseTimestamp('2015-07-29 17:41:44,747'), Date.UTC(2015, 6, 29, 17, 41, 44, 747));
    assert.equal(parseTimestamp('2016-09-28T04:30:30.5+02:00'), Date.UTC(2016, 8, 28, 2, 30, 30, 500));
    assert.equal(parseTimestamp('[Sun Dec 04 04:47:44 2005]'), Date.UTC(2005, 11, 4, 4, 47, 44));
    assert.equal(parseTimestamp('Jun 14 15:16:01', 2024), Date.UTC(2024, 5, 14, 15, 16, 1));
    assert.equal(parseTimestamp('081109 203615'), Date.UTC(2008, 10, 9, 20, 36, 15));
    assert.equal(parseTimestamp('10/Oct/2000:13:55:36 -0700'), Date.UTC(2000, 9, 10, 20, 55, 36));
    assert.equal(parseTimestamp('1718000000123'), 1718000000123);
    assert.equal(parseTimestamp('not a time'), undefined);
  });
});

describe('log triage: template mining', () => {
  it('turns a word into <*> once three different words appear in its place', () => {
    const t = mine(['session closed for user cyrus', 'session closed for user news', 'session closed for user test', 'session closed for user root']);
    assert.deepEqual(new Set(t), new Set(['session closed for user <*>']));
  });
  it('keeps templates apart that differ by one of only two words', () => {
    const lines: string[] = [];
    for (let i = 0; i < 50; i++) lines.push(`host${i}.example.com:${1000 + i} open through proxy proxy.local.net:5070 HTTPS`);
    lines.push('a.example.com:80 open through proxy proxy.local.net:5070 SOCKS5', 'b.example.com:81 open through proxy proxy.local.net:5070 SOCKS5');
    lines.push('cupsd startup succeeded', 'cupsd shutdown succeeded', 'cupsd startup succeeded');
    const t = mine(lines);
    assert.equal(t[0], '<*> open through proxy <*> HTTPS');
    assert.equal(t[50], '<*> open through proxy <*> SOCKS5');
    assert.notEqual(t[52], t[53]);
    assert.equal(t[52], t[54]);
  });
  it('joins a word that varies with one already masked (a user name that is a number)', () => {
    const t = mine(['Invalid user 1234 from 1.2.3.4', 'Invalid user admin from 5.6.7.8']);
    assert.equal(t[0], t[1]);
    assert.equal(t[0], 'Invalid user <*> from <*>');
  });
  it('finds several word variables that change together', () => {
    const users = ['alice', 'bob', 'carol', 'dave', 'erin'];
    const ns = ['default', 'payments', 'search', 'batch'];
    const lines = Array.from({ length: 12 }, (_, i) => `User ${users[i % 5]} deleted pod ${['web', 'api', 'db'][i % 3]}x${'abcdefghijkl'[i]} in namespace ${ns[(i * 7) % 4]}`);
    const t = mine(lines);
    assert.deepEqual(new Set(t), new Set(['User <*> deleted pod <*> in namespace <*>']));
  });
  it('never makes a template of placeholders only', () => {
    const t = mine(['LOOKING', 'FOLLOWING', 'LEADING', 'restart.']);
    assert.equal(new Set(t).size, 4);
  });
  it('gives the same template the same id in every run, whatever the order', () => {
    const lines = ['Dec 10 06:55:46 h sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2', 'Dec 10 06:55:47 h sshd[2]: Connection closed by 5.6.7.8 [preauth]', 'Dec 10 06:55:48 h sshd[3]: Failed password for root from 9.9.9.9 port 23 ssh2'];
    const a = triageLines(lines);
    const b = triageLines([...lines].reverse());
    const ids = (r: TriageResult) => Object.fromEntries(r.templates.map((t) => [t.template, t.id]));
    assert.deepEqual(ids(a), ids(b));
    assert.equal(a.templates.find((t) => t.template.startsWith('Failed'))!.id, templateId('Failed password for root from <*> port <*> ssh2'));
    assert.notEqual(templateId('a <*>'), templateId('b <*>'));
  });
});

describe('log triage: the ops.log_triage summary', () => {
  const registry = loadRegistry();
  const validate = (r: TriageResult) => registry.get('ops.log_triage')!.validateOutput(r);
  const at = (min: number, text: string) => `2024-06-14T10:${String(min).padStart(2, '0')}:00Z INFO app: ${text}`;

  it('counts per template and level, keeps examples, and matches the output schema', () => {
    const lines = [
      '2024-06-14 10:00:00,000 INFO [main] db: Connected to db in 12 ms',
      '2024-06-14 10:00:01,000 ERROR [main] db: Query failed: timeout after 30 s',
      '2024-06-14 10:00:02,000 INFO [main] db: Connected to db in 9 ms',
      '2024-06-14 10:00:03,000 WARN [main] db: Connected to db in 700 ms',
      '2024-06-14 10:00:04,000 ERROR [main] db: Query failed: timeout after 31 s',
    ];
    const r = triageLines(lines, { maxExamples: 2 });
    assert.deepEqual(validate(r), []);
    assert.equal(r.lines, 5);
    assert.equal(r.files_scanned, 1);
    assert.equal(r.templates.length, 2);
    // The error template comes first: flagged templates lead, whatever their count.
    const [failed, connected] = r.templates;
    assert.deepEqual(failed.flags, [{ kind: 'error', reason: '2 of 2 lines are errors' }]);
    assert.equal(failed.level, 'error');
    assert.deepEqual(connected.flags, []);
    assert.equal(connected.level, 'info');
    assert.equal(connected.first_seen, '2024-06-14T10:00:00.000Z');
    assert.equal(connected.last_seen, '2024-06-14T10:00:03.000Z');
    assert.deepEqual(r.time_range, { first: '2024-06-14T10:00:00.000Z', last: '2024-06-14T10:00:04.000Z' });
    assert.equal(connected.template, 'Connected to db in <*>');
    assert.equal(connected.count, 3);
    assert.deepEqual(connected.levels, { info: 2, warn: 1 });
    assert.deepEqual(connected.examples, [lines[0], lines[2]]);
    assert.equal(failed.count, 2);
    assert.deepEqual(failed.levels, { error: 2 });
    assert.equal(connected.line_numbers, undefined);
    assert.equal(r.since_run_id, null);
    assert.equal(r.new_templates, 0, 'nothing is new without a previous run');
  });

  it('handles empty input, and redacts examples and templates on request (ids unchanged)', () => {
    const empty = triageLines([]);
    assert.deepEqual(validate(empty), []);
    assert.equal(empty.lines, 0);
    assert.deepEqual(empty.templates, []);
    const lines = ['db login with password=hunter2 ok', 'db login with password=hunter2 ok'];
    const plain = triageLines(lines);
    const redacted = triageLines(lines, { redact: (s) => s.replace(/password=\S+/g, 'password=[redacted]') });
    assert.equal(plain.templates[0].template, 'db login with password=hunter2 ok');
    assert.equal(redacted.templates[0].template, 'db login with password=[redacted] ok');
    assert.deepEqual(redacted.templates[0].examples, ['db login with password=[redacted] ok', 'db login with password=[redacted] ok']);
    assert.equal(redacted.templates[0].id, plain.templates[0].id);
  });

  it('lists one-based line numbers and the file when line groups are asked for', () => {
    const lines = ['Dec 10 06:55:46 h a[1]: Started job 1', '', 'Dec 10 06:55:47 h a[1]: Disk 7 is full', 'Dec 10 06:55:48 h a[1]: Started job 2'];
    const r = triageLines(lines, { includeLineGroups: true }, 'app/syslog');
    assert.deepEqual(validate(r), []);
    const started = r.templates.find((t) => t.template === 'Started job <*>')!;
    assert.deepEqual(started.line_numbers, [1, 4]);
    assert.equal(started.file, 'app/syslog');
    assert.deepEqual(r.templates.find((t) => t.template.startsWith('Disk'))!.line_numbers, [3]);
    assert.equal(groupingAccuracy(labelsFromLineGroups(r.templates, lines.length), ['a', 'blank', 'b', 'a']), 1);
  });

  it('flags new templates and spikes against the previous run, by rate', async () => {
    const first: string[] = [];
    for (let m = 0; m < 60; m++) first.push(at(m % 60, `Request ${m} served in ${m} ms`));
    for (let m = 0; m < 4; m++) first.push(at(m, `Cache miss for key ${m}`));
    const previous = { run_id: 'run-1', ...triageLines(first, { since: '2024-06-14T09:00:00Z', until: '2024-06-14T10:00:00Z' }) };

    // Next window: 30 minutes. Requests at the same rate, cache misses 10x, one new template.
    const second: string[] = [];
    for (let m = 0; m < 30; m++) second.push(at(m, `Request ${m} served in ${m} ms`));
    for (let m = 0; m < 20; m++) second.push(at(m, `Cache miss for key ${m}`));
    second.push(at(5, 'Disk /dev/sda1 is full'));
    const r = triageLines(second, { previous, until: '2024-06-14T10:30:00Z' });
    assert.deepEqual(validate(r), []);
    const by = Object.fromEntries(r.templates.map((t) => [t.template, t]));
    assert.equal(r.since_run_id, 'run-1');
    assert.deepEqual(r.window, { since: '2024-06-14T10:00:00Z', until: '2024-06-14T10:30:00Z' });
    assert.equal(by['Request <*> served in <*>'].is_new, false);
    assert.equal(by['Request <*> served in <*>'].spike, false);
    assert.equal(by['Cache miss for key <*>'].spike, true);
    assert.equal(by['Disk <*> is full'].is_new, true);
    assert.equal(by['Disk <*> is full'].spike, false, 'a new template is new, not a spike');
    assert.equal(r.new_templates, 1);
    assert.equal(r.spikes, 1);
  });

  it('is not fooled by a template that became more general since the last run', () => {
    const previous = { templates: [{ id: templateId('Login failed for admin'), template: 'Login failed for admin', count: 3 }], window: null };
    const r = triageLines(['Login failed for admin', 'Login failed for bob', 'Login failed for eve'], { previous });
    assert.equal(r.templates[0].template, 'Login failed for <*>');
    assert.equal(r.templates[0].is_new, false);
  });

  it('needs a minimum count for a spike', () => {
    const previous = { templates: [{ id: 'x', template: 'Cache miss for key <*>', count: 1 }] };
    const few = triageLines(['Cache miss for key 1', 'Cache miss for key 2', 'Cache miss for key 3'], { previous });
    assert.equal(few.templates[0].spike, false);
    const many = triageLines(Array.from({ length: 12 }, (_, i) => `Cache miss for key ${i}`), { previous });
    assert.equal(many.templates[0].spike, true);
  });

  it('counts only lines after the start of the window (continuation lines follow their first line)', () => {
    const lines = [
      '2024-06-14 09:59:00,000 ERROR [main] app: Crash in worker 1',
      '\tat com.example.Worker.run(Worker.java:42)',
      '2024-06-14 10:01:00,000 ERROR [main] app: Crash in worker 2',
      '\tat com.example.Worker.run(Worker.java:42)',
    ];
    const r = triageLines(lines, { since: '2024-06-14T10:00:00Z', until: '2024-06-14T11:00:00Z' });
    assert.equal(r.lines, 4);
    assert.equal(r.templates.reduce((n, t) => n + t.count, 0), 2);
  });

  it('reads a logs folder: recursive, oldest first, .gz too, binaries skipped, nothing outside it', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'log-triage-'));
    fs.mkdirSync(path.join(root, 'app'));
    fs.writeFileSync(path.join(root, 'app', 'old.log.1.gz'), gzipSync('Jun 14 10:00:00 h app[1]: Started job 1\nJun 14 10:00:01 h app[1]: Started job 2\n'));
    fs.writeFileSync(path.join(root, 'app', 'current.log'), 'Jun 14 10:00:02 h app[1]: Started job 3\r\nJun 14 10:00:03 h app[1]: Stopped\r\n');
    fs.writeFileSync(path.join(root, 'core.bin'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1]));
    fs.symlinkSync(os.tmpdir(), path.join(root, 'escape'));
    fs.utimesSync(path.join(root, 'app', 'old.log.1.gz'), new Date(1_000_000_000_000), new Date(1_000_000_000_000));
    assert.deepEqual(await listLogFiles(root), [path.join('app', 'old.log.1.gz'), path.join('app', 'current.log')]);
    await assert.rejects(listLogFiles(root, '../'), PathOutsideLogsError);
    const r = await triage(await logSources(root, 'app'), { includeLineGroups: true });
    assert.equal(r.files_scanned, 2);
    assert.equal(r.lines, 4);
    const started = r.templates.filter((t) => t.template === 'Started job <*>');
    assert.deepEqual(
      started.map((t) => [t.file, t.line_numbers]),
      [
        [path.join('app', 'old.log.1.gz'), [1, 2]],
        [path.join('app', 'current.log'), [1]],
      ],
    );
    assert.equal(new Set(started.map((t) => t.id)).size, 1, 'one template, one id, across files');
    fs.rmSync(root, { recursive: true, force: true });
  });
});

/**
 * Held-out check: a format that is none of the six Loghub samples. Kubernetes components log
 * in klog's format (level letter + date, thread id, file:line]); the same events are also
 * written as JSON lines. Templates carry random values: pod names, namespaces, user names,
 * IPs, UUIDs, durations, versions, and two pairs of templates differ by a single word.
 */
function kubernetesLog(seed: number, count: number, json: boolean): { lines: string[]; truth: number[] } {
  const rnd = seededRandom(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const chars = (alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
  const alnum = (n: number) => chars('abcdefghijklmnopqrstuvwxyz0123456789', n);
  const hex = (n: number) => chars('0123456789abcdef', n);
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  const NS = ['default', 'kube-system', 'monitoring', 'payments', 'checkout', 'search', 'ingress', 'batch'];
  const APPS = ['web', 'api', 'worker', 'cart', 'auth', 'redis', 'postgres', 'envoy', 'fluentd', 'grafana'];
  const CONTAINERS = ['app', 'sidecar', 'istio-proxy', 'init-db', 'nginx', 'metrics', 'migrate'];
  const USERS = Array.from({ length: 40 }, () => chars('abcdefghijklmnopqrstuvwxyz', int(4, 9)));
  const pod = () => `${pick(APPS)}-${alnum(10)}-${alnum(5)}`;
  const ip = () => `10.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`;
  const node = () => `worker-${pick(['a', 'b', 'c'])}${int(1, 40)}`;
  const templates: Array<[string, string, () => string]> = [
    ['I', 'kubelet.go:2105', () => `Successfully pulled image "registry.local/${pick(APPS)}:v${int(1, 9)}.${int(0, 30)}.${int(0, 9)}" in ${int(20, 9000)}ms`],
    ['I', 'kuberuntime_container.go:709', () => `Started container ${pick(CONTAINERS)} in pod ${pick(NS)}/${pod()}`],
    ['I', 'kuberuntime_container.go:770', () => `Killing container ${pick(CONTAINERS)} in pod ${pick(NS)}/${pod()} with grace period ${int(1, 60)}s`],
    ['W', 'prober.go:116', () => `Liveness probe failed for pod ${pick(NS)}/${pod()}: HTTP probe failed with statuscode: ${pick([500, 502, 503, 404])}`],
    ['W', 'prober.go:116', () => `Readiness probe failed for pod ${pick(NS)}/${pod()}: Get "http://${ip()}:${int(1000, 9999)}/healthz": dial tcp ${ip()}:${int(1000, 9999)}: connect: connection refused`],
    ['I', 'node_controller.go:880', () => `Node ${node()} status is now: NodeReady`],
    ['E', 'node_controller.go:880', () => `Node ${node()} status is now: NodeNotReady`],
    ['I', 'replica_set.go:561', () => `Scaled up replica set ${pick(APPS)}-${alnum(10)} to ${int(1, 30)}`],
    ['I', 'replica_set.go:561', () => `Scaled down replica set ${pick(APPS)}-${alnum(10)} to ${int(0, 30)}`],
    ['I', 'audit.go:42', () => `User ${pick(USERS)} requested deletion of pod ${pod()} in namespace ${pick(NS)}`],
    ['I', 'attacher.go:301', () => `Volume pvc-${uuid()} attached to node ${node()} after ${(rnd() * 20).toFixed(2)}s`],
    ['E', 'pod_workers.go:1298', () => `Error syncing pod ${uuid()}, skipping: failed to "StartContainer" for "${pick(CONTAINERS)}" with CrashLoopBackOff`],
    ['I', 'leaderelection.go:258', () => `successfully acquired lease ${pick(NS)}/${pick(APPS)}-controller`],
    ['E', 'leaderelection.go:330', () => `error retrieving resource lock ${pick(NS)}/${pick(APPS)}-controller: context deadline exceeded`],
  ];
  const weights = templates.map(() => 0.2 + rnd() * 3);
  const total = weights.reduce((a, b) => a + b);
  const lines: string[] = [];
  const truth: number[] = [];
  let t = Date.UTC(2024, 5, 14, 15, 16, 1);
  const p2 = (n: number, w = 2) => String(n).padStart(w, '0');
  for (let i = 0; i < count; i++) {
    let x = rnd() * total;
    let k = 0;
    while ((x -= weights[k]) > 0) k++;
    t += int(0, 4000);
    const d = new Date(t);
    const [level, source, message] = templates[k];
    if (json) {
      const lv = { I: 'info', W: 'warning', E: 'error' }[level];
      lines.push(JSON.stringify({ ts: d.toISOString(), level: lv, caller: source, msg: message(), pid: int(1, 99999) }));
    } else {
      const stamp = `${level}${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${p2(int(0, 999999), 6)}`;
      lines.push(`${stamp} ${String(int(1, 99999)).padStart(7)} ${source}] ${message()}`);
    }
    truth.push(k);
  }
  return { lines, truth };
}

describe('log triage: held-out format (synthetic Kubernetes logs)', () => {
  for (const [seed, count, json] of [
    [1, 3000, false],
    [2, 600, false],
    [3, 2000, true],
  ] as const) {
    it(`groups ${count} ${json ? 'JSON' : 'klog'} lines (seed ${seed}) with accuracy >= 0.98`, () => {
      const { lines, truth } = kubernetesLog(seed, count, json);
      const r = triageLines(lines, { includeLineGroups: true });
      const accuracy = groupingAccuracy(labelsFromLineGroups(r.templates, lines.length), truth);
      assert.ok(accuracy >= 0.98, `accuracy ${accuracy.toFixed(4)} with ${r.templates.length} templates:\n${r.templates.map((t) => `${t.count} ${t.template}`).join('\n')}`);
      const levels = r.templates.reduce((acc, t) => acc + Object.values(t.levels).reduce((a, b) => a + (b ?? 0), 0), 0);
      assert.equal(levels, count, 'every line has its level');
    });
  }
});

describe('log triage: Drain (the yardstick and the no-header fallback)', () => {
  it('groups by length, first words and similarity, as Drain3 does', () => {
    const { Drain } = require('../../workers/tasks/log-triage') as typeof import('../../workers/tasks/log-triage');
    const d = new Drain();
    const lines = ['connected to 10.0.0.1', 'connected to 10.0.0.2', 'Hex number 0xDEADBEAF', 'Hex number 0x10000', 'user davidoh logged in', 'user eranr logged in', 'user eranr logged out now'];
    const ids = lines.map((l) => d.add(maskTokens(l)));
    assert.deepEqual(ids.map((id) => d.templateOf(id)), ['connected to <*>', 'connected to <*>', 'Hex number <*>', 'Hex number <*>', 'user <*> logged in', 'user <*> logged in', 'user eranr logged out now']);
    // Under the similarity threshold (0.4 by default): two templates.
    const strict = new Drain({ similarity: 0.9 });
    assert.notEqual(strict.add(['a', 'b', 'c', 'd']), strict.add(['a', 'b', 'x', 'y']));
  });
});
