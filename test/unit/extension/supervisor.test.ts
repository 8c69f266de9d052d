import assert from 'node:assert/strict';
import { RestartPolicy } from '../../../extension/backend/restart-policy';
import { BackendUnavailableError, Supervisor, type SupervisorState } from '../../../extension/backend/supervisor';
import { nullLogger, type Connection } from '../../../extension/backend/types';
import { FakeClock, FakeLauncher, flush } from './fakes';

const tokenOf = (sup: Supervisor): string | undefined => {
  const st = sup.state;
  return st.kind === 'ready' ? st.connection.token : undefined;
};

function setup(opts: { healthy?: (c: Connection) => boolean } = {}) {
  const clock = new FakeClock();
  const launcher = new FakeLauncher();
  const states: string[] = [];
  const healthCalls: string[] = [];
  const sup = new Supervisor({
    launch: launcher.launch,
    health: async (c) => {
      healthCalls.push(c.url);
      if (opts.healthy && !opts.healthy(c)) throw new Error('connection refused');
    },
    clock,
    log: nullLogger,
    healthIntervalMs: 30_000,
  });
  sup.onDidChangeState((s: SupervisorState) => states.push(s.kind === 'restarting' ? `restarting:${s.delayMs}` : s.kind));
  return { clock, launcher, sup, states, healthCalls };
}

describe('extension: restart policy', () => {
  it('waits 1, 2, then 4 s and allows 3 restarts in any 3 minutes', () => {
    const p = new RestartPolicy();
    assert.equal(p.next(0), 1000);
    assert.equal(p.next(10_000), 2000);
    assert.equal(p.next(20_000), 4000);
    assert.equal(p.next(30_000), undefined);
    assert.equal(p.count(30_000), 3);
    // The first restart leaves the window three minutes after it happened.
    assert.equal(p.next(180_000), 4000);
    p.reset();
    assert.equal(p.next(200_000), 1000);
  });
});

describe('extension: supervisor', () => {
  it('starts nothing until the first need, then starts once for concurrent callers', async () => {
    const { sup, launcher, states } = setup();
    assert.equal(sup.state.kind, 'idle');
    assert.equal(launcher.attempts, 0);
    const [a, b] = await Promise.all([sup.ensureReady(), sup.ensureReady()]);
    assert.equal(launcher.attempts, 1);
    assert.deepEqual(a, b);
    assert.equal(a.token, 'token-1');
    assert.deepEqual(states, ['starting', 'ready']);
    assert.deepEqual(await sup.ensureReady(), a);
  });

  it('restarts a crashed backend after 1, 2 and 4 s, then gives up with a clear error', async () => {
    const { sup, launcher, clock, states } = setup();
    await sup.ensureReady();
    for (const [i, delay] of [1000, 2000, 4000].entries()) {
      launcher.launched[i].crash();
      await flush();
      assert.deepEqual(sup.state, { kind: 'restarting', delayMs: delay, reason: 'the backend exited unexpectedly (code 1)' });
      await clock.advance(delay - 1);
      assert.equal(launcher.attempts, i + 1, 'not before the delay');
      await clock.advance(1);
      assert.equal(sup.state.kind, 'ready');
      assert.equal(launcher.attempts, i + 2);
    }
    launcher.launched[3].crash();
    await flush();
    assert.equal(sup.state.kind, 'failed');
    const message = sup.state.kind === 'failed' ? sup.state.message : '';
    assert.match(message, /exited unexpectedly.*Gave up after 3 restarts in 3 minutes.*Restart Backend/);
    await assert.rejects(sup.ensureReady(), (e: unknown) => e instanceof BackendUnavailableError && /Gave up/.test(e.message));
    assert.deepEqual(states, ['starting', 'ready', 'restarting:1000', 'starting', 'ready', 'restarting:2000', 'starting', 'ready', 'restarting:4000', 'starting', 'ready', 'failed']);
    // Nothing more is scheduled: the user decides.
    await clock.advance(600_000);
    assert.equal(launcher.attempts, 4);
  });

  it('allows restarts again once earlier ones leave the 3-minute window', async () => {
    const { sup, launcher, clock } = setup();
    await sup.ensureReady();
    for (let i = 0; i < 3; i++) {
      launcher.launched[i].crash();
      await clock.advance(5000);
      await clock.advance(60_000);
    }
    assert.equal(sup.state.kind, 'ready');
    launcher.launched[3].crash();
    await flush();
    assert.equal(sup.state.kind, 'restarting');
  });

  it('keeps callers waiting through failed starts, and rejects them when it gives up', async () => {
    const { sup, launcher, clock } = setup();
    launcher.failNext = 4;
    const waiting = sup.ensureReady();
    const box: { settled?: unknown } = {};
    waiting.then(
      (v) => (box.settled = v),
      (e) => (box.settled = e),
    );
    await clock.advance(1000);
    await clock.advance(2000);
    assert.ok(!('settled' in box), 'still waiting during restarts');
    await clock.advance(4000);
    assert.ok(box.settled instanceof BackendUnavailableError);
    assert.match(box.settled.message, /before it was ready.*Gave up/);
    assert.equal(launcher.attempts, 4);
  });

  it('recovers when a start fails once', async () => {
    const { sup, launcher, clock } = setup();
    launcher.failNext = 1;
    const waiting = sup.ensureReady();
    await clock.advance(1000);
    assert.equal((await waiting).token, 'token-1');
    assert.equal(launcher.attempts, 2);
  });

  it('"Restart Backend" stops the old process, resets the budget and starts a new one', async () => {
    const { sup, launcher, clock } = setup();
    await sup.ensureReady();
    launcher.failNext = 3;
    launcher.launched[0].crash();
    await clock.advance(1000);
    await clock.advance(2000);
    await clock.advance(4000);
    assert.equal(sup.state.kind, 'failed');
    const conn = await sup.restart();
    assert.equal(conn.token, 'token-2');
    assert.equal(sup.state.kind, 'ready');
    const old = launcher.launched[1];
    const next = sup.restart();
    await next;
    assert.equal(old.stopped, true);
    assert.equal(tokenOf(sup), 'token-3');
  });

  it('restarts a backend that stops answering its health check', async () => {
    let failing = false;
    const { sup, launcher, clock, healthCalls } = setup({ healthy: () => !failing });
    await sup.ensureReady();
    assert.equal(healthCalls.length, 1, 'checked once at start');
    await clock.advance(30_000);
    assert.equal(healthCalls.length, 2, 'then every 30 s');
    failing = true;
    await clock.advance(30_000);
    assert.equal(sup.state.kind, 'ready', 'one failure is tolerated');
    await clock.advance(30_000);
    assert.equal(launcher.launched[0].stopped, true);
    assert.equal(sup.state.kind, 'restarting');
    failing = false;
    await clock.advance(1000);
    assert.equal(tokenOf(sup), 'token-2');
  });

  it('fails a start whose backend never passes the health check, and stops that process', async () => {
    const { sup, launcher, clock } = setup({ healthy: (c) => c.token !== 'token-1' });
    const waiting = sup.ensureReady();
    await clock.advance(1000); // 5 checks 200 ms apart
    await clock.advance(1000);
    assert.equal(launcher.launched[0].stopped, true);
    assert.equal((await waiting).token, 'token-2');
  });

  it('a report of an unreachable backend triggers a check at once, and one failure then restarts it', async () => {
    let failing = false;
    const { sup, healthCalls, launcher } = setup({ healthy: () => !failing });
    await sup.ensureReady();
    sup.reportUnreachable();
    await flush();
    assert.equal(healthCalls.length, 2);
    assert.equal(sup.state.kind, 'ready', 'it answered: nothing to do');
    failing = true;
    sup.reportUnreachable();
    await flush();
    assert.equal(launcher.launched[0].stopped, true);
    assert.equal(sup.state.kind, 'restarting');
  });

  it('stop() shuts the backend down and refuses later requests', async () => {
    const { sup, launcher, clock } = setup();
    await sup.ensureReady();
    await sup.stop();
    assert.equal(launcher.launched[0].stopped, true);
    assert.equal(sup.state.kind, 'stopped');
    await assert.rejects(sup.ensureReady(), BackendUnavailableError);
    await clock.advance(600_000);
    assert.equal(launcher.attempts, 1, 'a stopped supervisor restarts nothing');
  });

  it('stop() during a start stops the process that comes up late', async () => {
    const clock = new FakeClock();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const launcher = new FakeLauncher();
    const sup = new Supervisor({
      launch: async () => {
        await gate;
        return launcher.launch();
      },
      health: async () => {},
      clock,
      log: nullLogger,
    });
    const waiting = sup.ensureReady();
    await flush();
    await sup.stop();
    await assert.rejects(waiting, BackendUnavailableError);
    release();
    await flush();
    assert.equal(launcher.launched[0].stopped, true);
  });
});

describe('extension: supervisor and configuration errors', () => {
  it('does not retry a start that failed for a configuration problem', async () => {
    const clock = new FakeClock();
    let attempts = 0;
    const sup = new Supervisor({
      launch: async () => {
        attempts++;
        throw Object.assign(new Error('productOs.server.url is set but there is no token'), { retryable: false });
      },
      health: async () => {},
      clock,
      log: nullLogger,
    });
    await assert.rejects(sup.ensureReady(), /there is no token/);
    assert.equal(sup.state.kind, 'failed');
    await clock.advance(60_000);
    assert.equal(attempts, 1);
  });
});
