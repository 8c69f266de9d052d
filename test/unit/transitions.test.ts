import assert from 'node:assert/strict';
import { canTransition, isTerminal, assertTransition } from '../../backend/runs/transitions';
import { RUN_STATUSES } from '../../contracts/rest';
import { orphanSettlement } from '../../backend/runs/orphans';
import type { StoredRun } from '../../backend/store/runs';
import type { CompiledTool } from '../../registry/loader';

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

describe('orphan settlement', () => {
  const run = (status: 'dispatching' | 'running', attempt = 1) => ({ id: 'r', tool: 't', status, attempt, maxAttempts: 3, owner: 'dead' }) as unknown as StoredRun;
  const tool = (idempotent: boolean) => ({ spec: { idempotent } }) as unknown as CompiledTool;

  it('re-queues what had not started, whatever the tool', () => {
    const a = orphanSettlement(run('dispatching'), tool(false), 'gone');
    assert.equal(a.steps[0].to, 'queued');
    assert.equal(a.expectOwner, 'dead');
  });
  it('re-queues a running idempotent tool with attempts left, fails anything else with the code', () => {
    assert.equal(orphanSettlement(run('running'), tool(true), 'gone').steps[0].to, 'queued');
    assert.equal(orphanSettlement(run('running', 3), tool(true), 'gone').steps[0].to, 'failed');
    const failed = orphanSettlement(run('running'), tool(false), 'gone', 'backend_stopped');
    assert.equal(failed.steps[0].to, 'failed');
    assert.equal((failed.changes?.error as { code: string }).code, 'backend_stopped');
  });
});
