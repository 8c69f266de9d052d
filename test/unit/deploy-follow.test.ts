/**
 * logs.tail with follow, without Docker or Google: followTail (the window, then the target's
 * followed lines, a window line never twice, the newest `limit` as output, a target that cannot
 * follow refused) and the Google target's follow, which polls Cloud Logging inside the one run
 * (overlapping asks sent once, a passing outage waited out, a denial ends it).
 */
import { strict as assert } from 'node:assert';
import { followTail, levelOf } from '../../backend/deploy/follow-logs';
import { followRunLogs } from '../../backend/deploy/gcp/cloud-logging';
import type { DeployOperation, DeployTarget, FollowLogsRequest } from '../../backend/deploy/target';
import { ProductOsError } from '../../backend/errors';
import type { LogLineOut } from '../../contracts/tools/deploy';

const op = (signal = new AbortController().signal): DeployOperation => ({ signal, progress: async () => undefined, log: async () => undefined });
const at = (ms: number) => new Date(ms).toISOString();

describe('deploy: logs.tail follow', () => {
  it('sends the window, then the followed lines, each once; returns the newest limit', async () => {
    const now = Date.now();
    let asked: FollowLogsRequest | undefined;
    const target = {
      kind: 'local',
      logs: async () => [
        { timestamp: at(now - 60_000), severity: 'DEFAULT', text: 'old' },
        { timestamp: at(now + 5), severity: 'DEFAULT', text: 'edge' },
      ],
      followLogs: async (req: FollowLogsRequest, _op: DeployOperation, onLine: (l: LogLineOut) => Promise<void>) => {
        asked = req;
        await onLine({ timestamp: at(now + 5), severity: 'DEFAULT', text: 'edge' }); // in the window too
        await onLine({ timestamp: at(now + 10), severity: 'ERROR', text: 'new 1' });
        await onLine({ timestamp: at(now + 20), severity: 'DEFAULT', text: 'new 2' });
      },
    } as unknown as DeployTarget;
    const sent: string[] = [];
    const out = await followTail(target, { service: 'web', limit: 2, sinceSeconds: 900, followSeconds: 60 }, op(), async (l) => void sent.push(l.text));
    assert.deepEqual(sent, ['old', 'edge', 'new 1', 'new 2']);
    assert.deepEqual(out.map((l) => l.text), ['new 1', 'new 2']);
    assert.ok(asked!.since.getTime() <= Date.now() && asked!.until - asked!.since.getTime() >= 59_000, 'follows for follow_seconds from the window');
  });

  it('refuses follow on a target that cannot follow, naming the way out', async () => {
    const target = { kind: 'gcp', logs: async () => [] } as unknown as DeployTarget;
    await assert.rejects(followTail(target, { service: 'web', limit: 5, sinceSeconds: 60, followSeconds: 60 }, op(), async () => undefined), (e: ProductOsError) => e.code === 'invalid_input' && /cannot follow logs: call logs.tail without follow/.test(e.message));
  });

  it('maps severities to run log levels', () => {
    assert.deepEqual(['DEBUG', 'DEFAULT', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL', undefined].map(levelOf), ['debug', 'info', 'info', 'info', 'warn', 'error', 'error', 'info']);
  });
});

describe('deploy: following Cloud Logging by polling in one run', () => {
  const entry = (ms: number, text: string) => ({ timestamp: { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 }, severity: 200, textPayload: text });

  it('asks again for what is newer, sends each line once, and stops when cancelled', async () => {
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    const answers = [[entry(t0 + 1000, 'a')], [entry(t0 + 1000, 'a'), entry(t0 + 2000, 'b')], [entry(t0 + 2000, 'b')]];
    const filters: string[] = [];
    const stop = new AbortController();
    const client = {
      listLogEntries: async (q: { filter: string; orderBy: string }) => {
        filters.push(q.filter);
        assert.equal(q.orderBy, 'timestamp asc');
        const next = answers.shift();
        if (!next) stop.abort();
        return [next ?? []];
      },
    };
    const sent: string[] = [];
    await followRunLogs(client as never, 'p', { service: 'web', region: 'us-central1', since: new Date(t0), until: Date.now() + 60_000 }, { signal: stop.signal, log: async () => undefined }, async (l) => void sent.push(`${l.severity} ${l.text}`), 1);
    assert.deepEqual(sent, ['INFO a', 'INFO b']);
    assert.equal(filters.length, 4);
    assert.match(filters[0], /resource\.labels\.service_name="web" AND resource\.labels\.location="us-central1" AND timestamp>=/);
  });

  it('waits out a passing outage with a warning; a denial ends the follow with its error', async () => {
    const warnings: string[] = [];
    let calls = 0;
    const flaky = {
      listLogEntries: async () => {
        calls++;
        if (calls === 1) throw Object.assign(new Error('try later'), { code: 14 }); // UNAVAILABLE
        throw Object.assign(new Error('no'), { code: 7 }); // PERMISSION_DENIED
      },
    };
    await assert.rejects(
      followRunLogs(flaky as never, 'p', { service: 'web', since: new Date(), until: Date.now() + 60_000 }, { signal: new AbortController().signal, log: async (_l, m) => void warnings.push(m) }, async () => undefined, 1),
      (e: ProductOsError) => e.code !== 'unavailable' && /roles\/logging\.viewer/.test(e.message),
    );
    assert.equal(calls, 2);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /trying again/);
  });

  it('ends by itself when its time is up', async () => {
    const client = { listLogEntries: async () => [[]] };
    await followRunLogs(client as never, 'p', { service: 'web', since: new Date(), until: Date.now() + 20 }, { signal: new AbortController().signal, log: async () => undefined }, async () => undefined, 5);
  });
});
