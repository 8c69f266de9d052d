import type { JsonSchema } from '../../contracts/json-schema';
import { AgentDone, type AgentStep, type TokenCounts } from '../../contracts/tasks/card-agent';
import { compileSchema } from '../../contracts/validator';
import type { ChatMessage, LlmProvider } from '../llm/provider';
import { ModelOutputError } from '../llm/schema-output';
import { ProductOsError } from '../errors';

/** A tool the sandbox serves (from MCP tools/list). */
export interface AgentToolInfo {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
}

/** What the loop needs of the sandbox: its tools, and a way to call one. */
export interface AgentToolbox {
  tools(): Promise<AgentToolInfo[]>;
  call(name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<{ text: string; isError: boolean }>;
}

/** One step as the run's log shows it: the tool and the names of its arguments, never their values. */
export interface StepReport {
  step: number;
  maxSteps: number;
  kind: 'tool' | 'done' | 'invalid';
  tool?: string;
  argumentNames?: string[];
  isError?: boolean;
  durationMs: number;
  tokens: TokenCounts;
}

export interface AgentLoopOptions {
  llm: LlmProvider;
  toolbox: AgentToolbox;
  /** The card as the model reads it: title, description, extra instructions. */
  task: { key: string; title: string; description: string; instructions?: string };
  maxSteps: number;
  tokenBudget: number;
  signal: AbortSignal;
  onStep?(report: StepReport): Promise<void> | void;
}

export interface AgentOutcome {
  /** done: the model said it finished; gave_up: it said it could not; step_limit / token_budget: stopped. */
  end: 'done' | 'gave_up' | 'step_limit' | 'token_budget';
  summary: string;
  steps: number;
  tokens: TokenCounts;
}

/** Observations longer than this reach the model cut, saying so (they cost tokens every turn). */
const MAX_OBSERVATION = 8000;
/** Turns of history the model sees beside the task (older ones drop out of the prompt). */
const HISTORY_TURNS = 12;
/** Most completion tokens one step may use. */
const MAX_STEP_TOKENS = 2048;

/**
 * What the model may answer at each step: one call of one of the sandbox's tools, with
 * arguments valid against that tool's own schema, or `done`. Given to the provider as the
 * generation schema, so a grammar (llama.cpp), `format` (Ollama) or `response_format`
 * (OpenAI-compatible) makes an invalid call impossible to produce; checked again here all the
 * same, since not every server enforces every keyword.
 */
export function stepSchema(tools: readonly AgentToolInfo[]): JsonSchema {
  return {
    oneOf: [
      ...tools.map((t) => ({
        type: 'object',
        additionalProperties: false,
        required: ['tool', 'arguments'],
        properties: { thought: { type: 'string', maxLength: 2000 }, tool: { const: t.name }, arguments: t.inputSchema },
      })),
      AgentDone,
    ],
  } as JsonSchema;
}

function systemPrompt(tools: readonly AgentToolInfo[], maxSteps: number): string {
  return [
    'You are a software engineer working on one Kanban card in a git repository mounted at /workspace.',
    'Work in small steps. At each step answer with exactly one JSON object, either a tool call',
    '{"thought": "<why>", "tool": "<name>", "arguments": {...}} or, when the card is done,',
    '{"done": true, "summary": "<what you changed and why, in a few sentences>"}',
    '(add "gave_up": true when you could not do it). After each call you will see its result.',
    `You have at most ${maxSteps} steps. There is no network. Do not commit: that happens after you finish.`,
    'Tools:',
    ...tools.map((t) => `- ${t.name}: ${t.description ?? ''} Arguments: ${JSON.stringify(t.inputSchema)}`),
  ].join('\n');
}

function taskPrompt(task: AgentLoopOptions['task']): string {
  return [`Card ${task.key}: ${task.title}`, task.description ? `\n${task.description}` : '', task.instructions ? `\nInstructions for this run:\n${task.instructions}` : ''].join('');
}

const cut = (text: string) => (text.length > MAX_OBSERVATION ? `${text.slice(0, MAX_OBSERVATION)}\n[… ${text.length - MAX_OBSERVATION} more characters not shown]` : text);

/**
 * The agent: plan, call a tool, observe, until the model says done, the step limit or the
 * token budget is reached, or the run is aborted (the signal's reason is thrown). Runs in the
 * backend, so every model call goes through the run's metered provider (token counts only);
 * the tools run in the sandbox. Nothing of the conversation is kept once it returns.
 */
export async function runAgentLoop(o: AgentLoopOptions): Promise<AgentOutcome> {
  const tools = await o.toolbox.tools();
  if (tools.length === 0) throw new ProductOsError('executor_failed', 'the card sandbox offered no tools');
  const schema = stepSchema(tools);
  const check = compileSchema(schema as object);
  const byName = new Map(tools.map((t) => [t.name, compileSchema(t.inputSchema)]));
  const head: ChatMessage[] = [
    { role: 'system', content: systemPrompt(tools, o.maxSteps) },
    { role: 'user', content: taskPrompt(o.task) },
  ];
  const turns: ChatMessage[] = [];
  const tokens = { prompt: 0, completion: 0 };
  for (let step = 1; step <= o.maxSteps; step++) {
    o.signal.throwIfAborted();
    const left = o.tokenBudget - tokens.prompt - tokens.completion;
    if (left <= 0) return { end: 'token_budget', summary: `stopped: the token budget of ${o.tokenBudget} was used up after ${step - 1} steps`, steps: step - 1, tokens };
    const started = Date.now();
    let answer;
    try {
      answer = await o.llm.generate({ messages: [...head, ...turns.slice(-2 * HISTORY_TURNS)], schema, maxTokens: Math.min(MAX_STEP_TOKENS, left), temperature: 0, signal: o.signal });
    } catch (err) {
      if (!(err instanceof ModelOutputError)) throw err;
      // What the providers say of an answer that is not a valid step (cut at its token limit,
      // or a keyword the server did not enforce): said back, its tokens counted, and the step
      // counts. The error names the rules broken, never the text, so nothing of it is kept.
      tokens.prompt += err.usage.promptTokens;
      tokens.completion += err.usage.completionTokens;
      turns.push({ role: 'user', content: `Your last answer was not valid: ${err.message}. Answer with one JSON object as described.` });
      await o.onStep?.({ step, maxSteps: o.maxSteps, kind: 'invalid', durationMs: Date.now() - started, tokens: { prompt: err.usage.promptTokens, completion: err.usage.completionTokens } });
      continue;
    }
    tokens.prompt += answer.usage.promptTokens;
    tokens.completion += answer.usage.completionTokens;
    const stepTokens = { prompt: answer.usage.promptTokens, completion: answer.usage.completionTokens };
    const value = answer.json ?? safeParse(answer.text);
    const problems = value === undefined ? [{ message: 'the answer is not JSON' }] : check(value);
    turns.push({ role: 'assistant', content: answer.text });
    if (problems.length > 0) {
      // A provider that returned no checked value (every one here checks): said back the same way.
      turns.push({ role: 'user', content: `That answer was not valid: ${problems.slice(0, 3).map((p) => p.message).join('; ')}. Answer with one JSON object as described.` });
      await o.onStep?.({ step, maxSteps: o.maxSteps, kind: 'invalid', durationMs: Date.now() - started, tokens: stepTokens });
      continue;
    }
    const move = value as AgentStep;
    if ('done' in move) {
      await o.onStep?.({ step, maxSteps: o.maxSteps, kind: 'done', durationMs: Date.now() - started, tokens: stepTokens });
      return { end: move.gave_up ? 'gave_up' : 'done', summary: move.summary, steps: step, tokens };
    }
    const argProblems = byName.get(move.tool)?.(move.arguments) ?? [];
    const result = argProblems.length > 0 ? { text: `bad arguments: ${argProblems.map((p) => p.message).join('; ')}`, isError: true } : await o.toolbox.call(move.tool, move.arguments, o.signal);
    turns.push({ role: 'user', content: `Result of ${move.tool}${result.isError ? ' (error)' : ''}:\n${cut(result.text)}` });
    await o.onStep?.({ step, maxSteps: o.maxSteps, kind: 'tool', tool: move.tool, // Names only once the tool's schema accepted them: otherwise they are free model output.
      argumentNames: argProblems.length === 0 ? Object.keys(move.arguments) : [], isError: result.isError, durationMs: Date.now() - started, tokens: stepTokens });
  }
  return { end: 'step_limit', summary: `stopped: the step limit of ${o.maxSteps} was reached before the agent finished`, steps: o.maxSteps, tokens };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
