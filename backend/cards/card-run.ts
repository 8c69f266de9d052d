import * as path from 'node:path';
import type { Availability, ExecutionContext, Executor } from '../executors/executor';
import type { CompiledTool } from '../../registry/loader';
import type { DockerExecutor } from '../executors/docker-executor';
import type { SandboxOutcome } from '../executors/docker-sandbox';
import { ProductOsError } from '../errors';
import * as cards from '../store/cards';
import { contextPath, type CardContextFile, type CardRunInput, type CardRunOutput } from '../../contracts/tasks/card-agent';
import type { Card } from '../../contracts/rest';
import type { LlmProvider } from '../llm/provider';
import { CardWorktree } from './card-worktree';
import { mcpToolbox } from './mcp-toolbox';
import { runAgentLoop, type AgentOutcome, type StepReport } from './agent-loop';

const REVIEW_LANE = 'review';
export const NO_MODEL = 'Run Card needs a local model: set PRODUCT_OS_LLM_URL and PRODUCT_OS_LLM_MODEL (Ollama or an OpenAI-compatible server on this machine), or PRODUCT_OS_LLM_MODEL alone to a GGUF file in the models folder';
/** Paths a card event lists; the run's output has them all. */
const EVENT_FILES = 200;

/**
 * `cards.run`: the card agent, end to end.
 *
 * 1. A detached git worktree of the workspace repository at the card branch's tip (or HEAD for
 *    a new branch), in the data folder: the user's working copy is never touched.
 * 2. A hardened worker (DockerExecutor.openSandbox) with the worktree as its one writable
 *    mount at /workspace and no network; the filesystem and terminal MCP servers run in it
 *    (docker exec), and the agent loop runs here.
 *    Why the loop is in the backend and not in the worker: every model call then goes through
 *    the run's metered ctx.llm() (one place records token counts, and the local-only rule is
 *    checked once), the worker needs no network at all (not even the internal LLM network), and
 *    a model's answer never runs anywhere but through the two servers' tools.
 * 3. The worker is removed before git reads the worktree; the backend stages and commits (the
 *    commit names the card), writes .productos/cards/<KEY>/context.json in a second commit, and
 *    then, in the run's own transaction, adds the card event, moves the card to Review and moves
 *    the branch (compare-and-swap). Cancel, failure or timeout: the worker is killed, the
 *    worktree deleted, and the branch is as it was.
 */
export class CardRunExecutor implements Executor {
  constructor(
    private readonly docker: DockerExecutor,
    private readonly opts: { modelConfigured: boolean },
  ) {}

  availability(tool: CompiledTool): Availability {
    const docker = this.docker.availability(tool);
    if (!docker.available) return docker;
    // Said before a run is made: the agent is nothing without a model.
    if (!this.opts.modelConfigured) return { available: false, code: 'not_configured', reason: NO_MODEL };
    return docker;
  }

  async execute(ctx: ExecutionContext): Promise<CardRunOutput> {
    const input = ctx.run.input as CardRunInput;
    const key = input.card_key;
    const card = await cards.getCard(ctx.db, key);
    if (!card) throw new ProductOsError('not_found', `no card ${key}`);
    if (card.archived) throw new ProductOsError('invalid_state', `card ${key} is archived: restore it before running it`);
    const llm = await ctx.llm(); // not_configured (naming the setting) before anything is created
    const branch = input.branch ?? `card/${key}`;
    const dir = path.join(ctx.config.dataDir, 'card-worktrees', ctx.run.id);
    const wt = await CardWorktree.create(ctx.config.workspaceDir, dir, branch);
    await ctx.log('info', `${key}: worktree of ${wt.repoRoot} at commit ${wt.baseSha.slice(0, 10)} (${wt.branchSha ? `branch ${branch}` : `new branch ${branch}`})`);
    let keepWorktree = false;
    try {
      const outcome = await this.runInSandbox(ctx, wt, card, input, llm);
      const result = await this.finish(ctx, wt, card, input, outcome, llm);
      keepWorktree = result.worktree_path !== undefined;
      return result;
    } finally {
      if (!keepWorktree) await wt.remove();
    }
  }

  private async runInSandbox(ctx: ExecutionContext, wt: CardWorktree, card: Card, input: CardRunInput, llm: LlmProvider): Promise<AgentOutcome> {
    const sandbox = await this.docker.openSandbox(ctx, wt.path);
    let end: SandboxOutcome = 'failed';
    try {
      const toolbox = await mcpToolbox([await sandbox.mcp('filesystem'), await sandbox.mcp('terminal')]);
      await ctx.log('info', `${card.key}: sandbox ready (${(await toolbox.tools()).map((t) => t.name).join(', ')})`);
      const outcome = await runAgentLoop({
        llm,
        toolbox,
        task: { key: card.key, title: card.title, description: card.description, instructions: input.instructions },
        maxSteps: input.max_steps ?? 40,
        tokenBudget: input.token_budget ?? 200_000,
        signal: ctx.signal,
        onStep: (r) => this.reportStep(ctx, r),
      });
      end = 'succeeded';
      return outcome;
    } catch (err) {
      const reason = ctx.signal.aborted ? (ctx.signal.reason as string) : null;
      end = reason === 'cancel' ? 'cancelled' : reason === 'timeout' ? 'timed_out' : reason === 'shutdown' ? 'shutdown' : 'failed';
      if (reason === 'cancel') throw new ProductOsError('cancelled', `${ctx.tool.name} was cancelled; its worker was removed and the branch left as it was`);
      if (reason === 'timeout') throw new ProductOsError('timed_out', `${ctx.tool.name} did not finish within ${ctx.tool.spec.timeout_seconds} s; its worker was removed and the branch left as it was`);
      throw err;
    } finally {
      // Gone before git reads the worktree: nothing in it changes under the commit.
      await sandbox.close(end);
    }
  }

  /** A step in the Runs panel: progress, and a log line naming the tool and its argument names (never values: they are model output). */
  private async reportStep(ctx: ExecutionContext, r: StepReport): Promise<void> {
    const what = r.kind === 'tool' ? `${r.tool}(${(r.argumentNames ?? []).join(', ')})${r.isError ? ' → error' : ''}` : r.kind === 'done' ? 'done' : 'answer not valid, asked again';
    await ctx.progress({ progress: r.step, total: r.maxSteps, message: `step ${r.step}: ${what}` });
    await ctx.log('info', `step ${r.step}/${r.maxSteps}: ${what}`, { step: r.step, ms: r.durationMs, promptTokens: r.tokens.prompt, completionTokens: r.tokens.completion });
  }

  private async finish(ctx: ExecutionContext, wt: CardWorktree, card: Card, input: CardRunInput, outcome: AgentOutcome, llm: LlmProvider): Promise<CardRunOutput> {
    const base: CardRunOutput = { card_key: card.key, status: 'failed', branch: wt.branch, base_sha: wt.baseSha, files_changed: [], summary: outcome.summary, tokens: outcome.tokens, steps: outcome.steps };
    const finished = outcome.end === 'done';
    const files = finished ? await wt.stageAll() : [];
    let result: CardRunOutput = { ...base, status: !finished ? 'failed' : files.length === 0 ? 'no_changes' : 'completed', files_changed: files };
    let commitSha: string | undefined;
    let tipSha: string | undefined;
    if (result.status === 'completed' && input.commit !== false) {
      ctx.signal.throwIfAborted();
      commitSha = await wt.commit(`${card.key}: ${card.title}\n\n${outcome.summary}\n\nProduct-OS-Card: ${card.key}\nProduct-OS-Run: ${ctx.run.id}`);
      const context: CardContextFile = {
        card: { key: card.key, title: card.title },
        run_id: ctx.run.id,
        status: 'completed',
        summary: outcome.summary,
        branch: wt.branch,
        base_sha: wt.baseSha,
        commit_sha: commitSha,
        files_changed: files,
        tokens: outcome.tokens,
        steps: outcome.steps,
        model: { provider: llm.provider, name: llm.model },
        finished_at: new Date().toISOString(),
      };
      await wt.writeOwnFile(contextPath(card.key), `${JSON.stringify(context, null, 2)}\n`);
      tipSha = await wt.commit(`${card.key}: run context\n\nProduct-OS-Card: ${card.key}\nProduct-OS-Run: ${ctx.run.id}`);
      result = { ...result, commit_sha: commitSha, context_path: contextPath(card.key) };
    } else if (result.status === 'completed') {
      result = { ...result, worktree_path: wt.path };
    }
    const moveToReview = result.status === 'completed';
    return ctx.commit(async (tx) => {
      const now = (await cards.getCard(tx, card.key)) ?? card;
      const actor = { caller: ctx.run.caller, runId: ctx.run.id };
      await cards.addCardEvent(tx, now.id, 'agent_run', actor, {
        status: result.status,
        branch: wt.branch,
        base: wt.baseSha,
        commit: commitSha ?? null,
        files: files.slice(0, EVENT_FILES),
        fileCount: files.length,
        summary: outcome.summary,
        end: outcome.end,
        steps: outcome.steps,
        tokens: outcome.tokens,
      });
      const after = moveToReview && now.lane !== REVIEW_LANE && !now.archived ? await cards.changeCard(tx, card.key, now.version, { lane: REVIEW_LANE }, actor) : now;
      // Last, so a failure before it rolls the card back too: the branch moves only if all else holds.
      if (tipSha) await wt.publish(tipSha);
      let push: { pushed?: boolean; push_error?: string } = {};
      if (tipSha && input.push) {
        const p = await wt.push();
        push = { pushed: p.pushed, ...(p.error ? { push_error: p.error } : {}) };
      }
      return { ...result, ...push, card: after };
    });
  }
}
