import assert from 'node:assert/strict';
import { canTransition, isTerminal, assertTransition } from '../../backend/runs/transitions';
import { RUN_STATUSES } from '../../backend/api/protocol';

describe('run state machine', () => {
  it('follows queued → (awaiting_approval) → dispatching → running → a terminal state', () => {
    assert.ok(canTransition('queued', 'awaiting_approval'));
    assert.ok(canTransition('awaiting_approval', 'queued'));
    assert.ok(canTransition('queued', 'dispatching'));
    assert.ok(canTransition('dispatching', 'running'));
    for (const end of ['succeeded', 'failed', 'cancelled', 'timed_out'] as const) assert.ok(canTransition('running', end));
  });

  it('never leaves a terminal state', () => {
    for (const end of ['succeeded', 'failed', 'cancelled', 'timed_out'] as const) {
      assert.ok(isTerminal(end));
      for (const to of RUN_STATUSES) assert.equal(canTransition(end, to), false, `${end} → ${to}`);
    }
  });

  it('refuses skipping approval or dispatch', () => {
    assert.equal(canTransition('awaiting_approval', 'running'), false);
    assert.equal(canTransition('queued', 'succeeded'), false);
    assert.equal(canTransition('awaiting_approval', 'dispatching'), false);
    assert.throws(() => assertTransition('queued', 'running'), /illegal run transition queued → running/);
  });
});
