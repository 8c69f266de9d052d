/**
 * Benchmark runner: `npm run bench` runs every benchmark, `npm run bench -- <name> …` the
 * ones named. Each benchmark prints one JSON line on stdout:
 * `{"bench": "<name>", …figures…, "ratio": <ours ÷ reference>, "target": …, "pass": …}`.
 * Progress and diagnostics go to stderr, so stdout stays machine-readable.
 *
 * Exit status: 2 for an unknown name (the known names are listed), 1 when a benchmark threw,
 * and, only with BENCH_STRICT=1, 1 when a benchmark missed its target. Otherwise 0.
 */
import type { BenchResult } from './bench';

/** Every benchmark, by name; each module is loaded only when it runs. */
const BENCHMARKS: Record<string, { description: string; load: () => Promise<{ run(): Promise<BenchResult> }> }> = {
  'docker-dispatch': {
    description: 'Docker worker dispatch: submit → first log line and → result, cold and from the warm pool, vs plain docker run --rm',
    load: async () => ({ run: (await import('../helpers/docker-latency')).dockerDispatchBench }),
  },
  footprint: {
    description: 'The backend at rest per store (embedded PostgreSQL default, PGlite fallback, DATABASE_URL): ready on a new and an existing data folder, memory after ready and after 10,000 runs (backend + its server)',
    load: () => import('./footprint'),
  },
  'mcp-tools-call': {
    description: 'MCP tools/call of system.ping: our /mcp on each store (embedded default, PGlite, DATABASE_URL PostgreSQL) vs a bare @modelcontextprotocol/sdk server in the same run; p50/p99 beside',
    load: () => import('./mcp-tools-call'),
  },
  'editor-panels': {
    description: 'Command → first content of each panel in a real VS Code (code-server + the packaged .vsix, headless Chromium): median of several opens per panel vs 1,000 ms',
    load: () => import('./editor-panels'),
  },
  'log-triage-accuracy': {
    description: 'ops.log_triage grouping accuracy, leave-one-format-out over the six Loghub 2k samples (LOGHUB_DIR) and the generated corpus, vs Drain; the no-header fallback vs Drain; lines/s',
    load: () => import('./log-triage-accuracy'),
  },
  'extension-activate': {
    description: 'Extension activate() of the built dist/extension.js with the fake vscode, fresh processes: median/p95 vs a 30 ms target (module load beside)',
    load: () => import('./extension-activate'),
  },
  'panel-first-paint': {
    description: 'Open-panel command (fake vscode, dist/extension.js) → first paint of its webview HTML in headless Chromium, each of the five panels, vs 500 ms',
    load: () => import('./panel-first-paint'),
  },
  'webview-models': {
    description: 'Kanban board model with 2,000 cards (load + 200 moves) and the service-map layout of 40 containers, in Node: median/p95 vs 100 ms',
    load: () => import('./webview-models'),
  },
  'llm-tokens': {
    description: 'Tokens/s through the LLM worker container vs node-llama-cpp in-process: same GGUF (the generated tiny one, or BENCH_LLM_GGUF), prompt and thread count; target ratio >= 0.9',
    load: () => import('./llm-tokens'),
  },
  'deploy-local': {
    description: 'cloudrun.deploy_service on the local Docker target (deploy call → healthy new revision) vs docker build + docker run of the same Dockerfile and commit, target <= 1.2x; rollback (approve → serving) vs 2 s',
    load: () => import('./deploy-local'),
  },
  'analytics-funnel': {
    description: 'analytics.funnel_summary (4 steps, 14-day window) on DuckDB over 1M and 10M generated events vs a hand-written DuckDB SQL query: median of rounds; targets 1M < 0.3 s, 10M < 2 s, ratio >= 0.8',
    load: () => import('./analytics-funnel'),
  },
  'kanban-2000': {
    description: 'Kanban panel with 2,000 cards in headless Chromium: first render and frame time while dragging (p50/p95/max) vs 16.7 ms',
    load: () => import('./kanban-2000'),
  },
};

async function main(argv: string[]): Promise<number> {
  const names = argv.filter((a) => !a.startsWith('-'));
  if (argv.includes('--list') || argv.includes('-l')) {
    for (const [name, b] of Object.entries(BENCHMARKS)) process.stdout.write(`${name}\t${b.description}\n`);
    return 0;
  }
  const unknown = names.filter((n) => !(n in BENCHMARKS));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}\nknown: ${Object.keys(BENCHMARKS).join(', ')}\n`);
    return 2;
  }
  let status = 0;
  for (const name of names.length > 0 ? names : Object.keys(BENCHMARKS)) {
    try {
      const result = await (await BENCHMARKS[name].load()).run();
      process.stdout.write(`${JSON.stringify({ bench: name, ...result })}\n`);
      if (process.env.BENCH_STRICT === '1' && result.pass === false) status = 1;
    } catch (err) {
      process.stderr.write(`bench ${name} failed: ${(err as Error).stack ?? String(err)}\n`);
      status = 1;
    }
  }
  return status;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Nothing a benchmark left behind (a pool, a timer) may keep the runner alive.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
