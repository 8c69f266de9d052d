import { strict as assert } from 'node:assert';
import { backoffDelay, retryAfterMs, sleep } from '../../backend/executors/retry-backoff';

describe('retry backoff (remote executors, publishing)', () => {
  it('full jitter within base·2^(try-1), capped, never 0', () => {
    for (let t = 1; t <= 8; t++) {
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(t, 250, 8000);
        assert.ok(d >= 1 && d <= Math.min(8000, 250 * 2 ** (t - 1)), `try ${t}: ${d}`);
      }
    }
  });

  it('reads Retry-After as seconds or an HTTP date, and nothing else', () => {
    assert.equal(retryAfterMs('3'), 3000);
    assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6000);
    assert.equal(retryAfterMs('soon'), null);
    assert.equal(retryAfterMs(null), null);
  });

  it('a sleep ends early with the abort reason', async () => {
    const ac = new AbortController();
    const started = Date.now();
    const p = sleep(10_000, ac.signal);
    ac.abort('cancel');
    await assert.rejects(p, (r: unknown) => r === 'cancel');
    assert.ok(Date.now() - started < 1000);
  });
});
