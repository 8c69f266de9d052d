/**
 * The card agent (`cards.run`): its input and output (the registry's schemas), the tools its
 * sandbox serves over MCP (filesystem and terminal, inside the worker), what the model may
 * answer at each step, and the context file the backend commits on the card's branch.
 * Declared once here; the worker's MCP servers, the backend's agent loop and the tests import it.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Card } from '../rest';

const Closed = { additionalProperties: false } as const;
const CardKey = Type.String({ pattern: '^[A-Z][A-Z0-9]*-[0-9]+$', maxLength: 64 });

export const CardRunInput = Type.Object(
  {
    card_key: CardKey,
    instructions: Type.Optional(Type.String({ maxLength: 20000 })),
    branch: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]*$' })),
    commit: Type.Optional(Type.Boolean({ default: true })),
    max_steps: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 40 })),
    token_budget: Type.Optional(Type.Integer({ minimum: 1000, maximum: 10_000_000, default: 200_000 })),
    push: Type.Optional(Type.Boolean({ default: false })),
  },
  Closed,
);
export type CardRunInput = Static<typeof CardRunInput>;

export const CardRunStatus = Type.Union([Type.Literal('completed'), Type.Literal('no_changes'), Type.Literal('failed')]);
export type CardRunStatus = Static<typeof CardRunStatus>;

export const TokenCounts = Type.Object({ prompt: Type.Integer({ minimum: 0 }), completion: Type.Integer({ minimum: 0 }) }, Closed);
export type TokenCounts = Static<typeof TokenCounts>;

export const CardRunOutput = Type.Object(
  {
    card_key: CardKey,
    status: CardRunStatus,
    branch: Type.Optional(Type.String()),
    commit_sha: Type.Optional(Type.String({ pattern: '^[0-9a-f]{7,40}$' })),
    files_changed: Type.Array(Type.String()),
    summary: Type.String(),
    tokens: TokenCounts,
    /** The commit the branch started from in this run (for "Open diff"). */
    base_sha: Type.Optional(Type.String({ pattern: '^[0-9a-f]{7,40}$' })),
    /** Where the context file is, relative to the repository root. */
    context_path: Type.Optional(Type.String()),
    steps: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Whether the branch was pushed (only when asked for and a remote is configured). */
    pushed: Type.Optional(Type.Boolean()),
    push_error: Type.Optional(Type.String()),
    /** With commit: false, the folder holding the uncommitted changes. */
    worktree_path: Type.Optional(Type.String()),
    /** The card after the run (the board stream shows it). */
    card: Type.Optional(Card),
  },
  Closed,
);
export type CardRunOutput = Static<typeof CardRunOutput>;

// ---- the sandbox's MCP tools -----------------------------------------------------------------

/** Where the card's worktree is mounted inside the worker. */
export const WORKSPACE = '/workspace';

const WsPath = Type.String({ minLength: 1, maxLength: 4096, description: 'Path relative to the repository root (or absolute under /workspace).' });

export const FS_TOOLS = {
  read_file: Type.Object({ path: WsPath, offset: Type.Optional(Type.Integer({ minimum: 0 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 262_144 })) }, Closed),
  write_file: Type.Object({ path: WsPath, content: Type.String({ maxLength: 4_194_304 }) }, Closed),
  edit_file: Type.Object({ path: WsPath, old_text: Type.String({ minLength: 1 }), new_text: Type.String() }, Closed),
  list_directory: Type.Object({ path: Type.Optional(WsPath) }, Closed),
  delete_file: Type.Object({ path: WsPath }, Closed),
} as const;

export const TERMINAL_TOOLS = {
  run_command: Type.Object(
    {
      command: Type.String({ minLength: 1, maxLength: 8192 }),
      timeout_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 600, default: 60 })),
    },
    Closed,
  ),
} as const;

export type FsToolName = keyof typeof FS_TOOLS;
export type TerminalToolName = keyof typeof TERMINAL_TOOLS;

/** What run_command returns (structuredContent), beside a text rendering for the model. */
export const CommandResult = Type.Object({
  exit_code: Type.Union([Type.Integer(), Type.Null()]),
  timed_out: Type.Boolean(),
  duration_ms: Type.Integer({ minimum: 0 }),
  stdout: Type.String(),
  stderr: Type.String(),
  truncated: Type.Boolean(),
});
export type CommandResult = Static<typeof CommandResult>;

// ---- what the model answers at each step ------------------------------------------------------

/** The model ends the run: a short summary, and whether it gave up. */
export const AgentDone = Type.Object({ done: Type.Literal(true), summary: Type.String({ minLength: 1, maxLength: 4000 }), gave_up: Type.Optional(Type.Boolean()) }, Closed);
export type AgentDone = Static<typeof AgentDone>;

export interface AgentToolCall {
  thought?: string;
  tool: string;
  arguments: Record<string, unknown>;
}
export type AgentStep = AgentToolCall | AgentDone;

// ---- the context file -------------------------------------------------------------------------

export const contextPath = (cardKey: string): string => `.productos/cards/${cardKey}/context.json`;

/** `.productos/cards/<KEY>/context.json` on the card's branch: what the last run did. */
export const CardContextFile = Type.Object(
  {
    card: Type.Object({ key: CardKey, title: Type.String() }),
    run_id: Type.String(),
    status: CardRunStatus,
    summary: Type.String(),
    branch: Type.String(),
    base_sha: Type.String(),
    /** The commit holding the agent's changes (the context file is committed after it). */
    commit_sha: Type.String(),
    files_changed: Type.Array(Type.String()),
    tokens: TokenCounts,
    steps: Type.Integer({ minimum: 0 }),
    model: Type.Object({ provider: Type.String(), name: Type.String() }),
    finished_at: Type.String(),
  },
  Closed,
);
export type CardContextFile = Static<typeof CardContextFile>;
