import * as path from 'node:path';
import { maskSecrets } from '../../../common/redact';
import { LogTriage, PathOutsideLogsError, listLogFiles, readLines, type PreviousSummary, type SpikeRule } from '.';
import { WORKER_PATHS } from '../../../contracts/worker-protocol';
import { TaskError, isInt, type Task } from '../../runtime/task';

/**
 * The log_triage task (ops.log_triage): mines line templates from the logs folder, mounted
 * read-only at WORKER_PATHS.logs, and returns the registry's `ops.log_triage` output.
 *
 * Input (validated by the registry): `path` (a file or folder inside the logs folder; default
 * all of it; anything that leaves it is refused), `include_line_groups`, `max_examples`,
 * `redact` (mask examples, templates and values; default the context's `redact`).
 * Context (context.ts, built in the backend): the directive in force (its
 * `config.spike` sets the spike rule), the last successful run of the same directive over
 * the same path (`previous`: its window and template ids/counts; null on a first run, when
 * nothing is new), `since` (that run's `window.until`: older lines are not counted) and
 * `redact` (DEBUG_REDACTED_MODE, the default for the input of the same name). The task's own
 * log lines are masked whatever the choice: they are the product's debug log.
 *
 * The worker runs as uid 10001 with no capabilities: it reads only what that user may read.
 * An unreadable file or folder fails the run with a message that says so (make the logs
 * folder world-readable, `chmod -R o+rX`, or readable by a group with gid 10001).
 */

interface Context {
  directive?: { id?: string; config?: { spike?: { ratio?: number; min_count?: number } } };
  previous?: PreviousSummary | null;
  since?: string | null;
  redact?: boolean;
}

const PROGRESS_EVERY_LINES = 100_000;

export const logTriage: Task = async (input, io) => {
  const until = new Date().toISOString();
  const args = readInput(input);
  const ctx = (io.job.context ?? {}) as Context;
  const previous = ctx.previous && Array.isArray(ctx.previous.templates) ? ctx.previous : null;
  const since = ctx.since !== undefined ? ctx.since : (previous?.window?.until ?? null);
  const spike: SpikeRule = {
    ...(typeof ctx.directive?.config?.spike?.ratio === 'number' ? { ratio: ctx.directive.config.spike.ratio } : {}),
    ...(typeof ctx.directive?.config?.spike?.min_count === 'number' ? { minCount: ctx.directive.config.spike.min_count } : {}),
  };
  const root = WORKER_PATHS.logs;

  const files = await guard(args.path, () => listLogFiles(root, args.path));
  io.log('info', `log triage: ${files.length} file(s) under ${args.path === '.' ? 'the logs folder' : args.path}`, {
    files: files.length,
    directive: ctx.directive?.id ?? null,
    since,
    previous_run: previous?.run_id ?? null,
  });
  io.progress(0, files.length, 'listing done');

  const triage = new LogTriage({
    includeLineGroups: args.includeLineGroups,
    maxExamples: args.maxExamples,
    previous,
    since,
    until,
    spike,
    // The backend's masks, less the local user name: inside a worker that is "worker", an ordinary word.
    ...((args.redact ?? ctx.redact !== false) ? { redact: maskSecrets } : {}),
  });
  let lines = 0;
  for (const [i, file] of files.entries()) {
    triage.beginFile(file);
    await guard(file, async () => {
      for await (const line of readLines(path.join(root, file))) {
        triage.push(line);
        if (++lines % PROGRESS_EVERY_LINES === 0) io.progress(i, files.length, `${lines} lines read`);
      }
    });
    triage.endFile();
    io.progress(i + 1, files.length, file);
  }
  const result = triage.result();
  io.log('info', `log triage: ${result.lines} lines, ${new Set(result.templates.map((t) => t.id)).size} templates, ${result.new_templates} new, ${result.spikes} spiking`, {
    lines: result.lines,
    new_templates: result.new_templates,
    spikes: result.spikes,
  });
  for (const t of result.templates.filter((x) => x.is_new || x.spike).slice(0, 5)) {
    io.log(t.spike ? 'warn' : 'info', `${t.is_new ? 'new' : 'spike'}: ${maskSecrets(t.template)}`, { id: t.id, count: t.count });
  }
  return result;
};

function readInput(input: unknown): { path: string; includeLineGroups: boolean; maxExamples: number; redact: boolean | undefined } {
  const o = input && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
  const p = o.path === undefined ? '.' : o.path;
  if (typeof p !== 'string' || p.length === 0) throw new TaskError('invalid_input', 'input.path must be a non-empty string');
  const groups = o.include_line_groups === undefined ? false : o.include_line_groups;
  if (typeof groups !== 'boolean') throw new TaskError('invalid_input', 'input.include_line_groups must be a boolean');
  const max = o.max_examples === undefined ? 3 : o.max_examples;
  if (!isInt(max) || max < 1 || max > 20) throw new TaskError('invalid_input', 'input.max_examples must be an integer from 1 to 20');
  const redact = o.redact;
  if (redact !== undefined && typeof redact !== 'boolean') throw new TaskError('invalid_input', 'input.redact must be a boolean');
  return { path: p, includeLineGroups: groups, maxExamples: max, redact };
}

/** File-system failures as task errors that say what to do. */
async function guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PathOutsideLogsError) throw new TaskError('invalid_input', err.message, { pointer: '/path', reason: 'path_outside_logs' });
    const { code, path: failed } = err as NodeJS.ErrnoException;
    const where = typeof failed === 'string' && failed.startsWith(WORKER_PATHS.logs) ? path.posix.relative(WORKER_PATHS.logs, failed) || '.' : what;
    if (code === 'ENOENT') throw new TaskError('not_found', `"${where}" does not exist in the logs folder`, { path: where });
    if (code === 'EACCES' || code === 'EPERM') {
      throw new TaskError(
        'not_configured',
        `"${where}" in the logs folder is not readable by the worker, which runs as uid 10001: make the logs readable by it (for example chmod -R o+rX on the logs folder)`,
        { path: where, reason: 'permission_denied' },
      );
    }
    throw err;
  }
}

