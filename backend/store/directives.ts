import type { Queryable } from './db';
import { ProductOsError } from '../errors';
import { describeViolations } from '../../contracts/json-schema';
import { compileSchema } from '../../contracts/validator';
import type { Registry } from '../../registry/loader';
import type { Static } from '@sinclair/typebox';
import type { CreateDirectiveBody, Directive, DirectiveSnapshot as DirectiveSnapshotSchema, DirectiveVersion, UpdateDirectiveBody } from '../../contracts/rest';

/**
 * Directives (migration 0005): named, versioned settings a tool runs with. D1–D3 are the
 * defaults of ops.log_triage, ops.gpu_report and ops.service_map; D4 and every directive
 * created through the API are custom (any tool plus a config JSON). Every version is kept
 * whole in `directive_versions`; an edit is a new version, only at the version the editor
 * read (409 otherwise). A run of a directive-aware tool keeps a snapshot of the version it
 * used in `runs.directive`.
 */

// The shapes are the REST contract's (contracts/rest.ts): what the store returns is what the API sends.
export type { Directive, DirectiveVersion };
export type DirectiveKind = Directive['kind'];
/** What a run keeps of the directive it used. */
export type DirectiveSnapshot = Static<typeof DirectiveSnapshotSchema>;
export type CreateDirective = CreateDirectiveBody;
export type UpdateDirective = UpdateDirectiveBody;

/** The default directive of each tool that has one. */
export const DEFAULT_DIRECTIVES: Readonly<Record<string, string>> = {
  'ops.log_triage': 'D1',
  'ops.gpu_report': 'D2',
  'ops.service_map': 'D3',
};

/** Largest config, as JSON text. */
export const MAX_CONFIG_BYTES = 32 * 1024;

/** What the store reads of the registry: a tool's `configSchema`. */
export type ToolLookup = Pick<Registry, 'get'>;

/**
 * Refuses a config that is not a JSON object, is too large, or breaks its tool's
 * `configSchema` (registry/tool-registry.yaml; a tool without one takes any JSON object).
 */
export function checkDirectiveConfig(tools: ToolLookup, tool: string, config: unknown): Record<string, unknown> {
  if (!config || typeof config !== 'object' || Array.isArray(config)) {
    throw new ProductOsError('invalid_input', 'a directive config must be a JSON object', { violations: [{ pointer: '/config', rule: 'type', message: '/config must be object' }] });
  }
  const size = Buffer.byteLength(JSON.stringify(config));
  if (size > MAX_CONFIG_BYTES) {
    throw new ProductOsError('invalid_input', `a directive config may be at most ${MAX_CONFIG_BYTES} bytes of JSON (this one is ${size})`, { violations: [{ pointer: '/config', rule: 'maxBytes', message: `/config is larger than ${MAX_CONFIG_BYTES} bytes` }] });
  }
  const schema = tools.get(tool)?.spec.configSchema;
  if (schema) {
    const violations = compileSchema(schema, '/config')(config);
    if (violations.length > 0) throw new ProductOsError('invalid_input', `the config does not fit ${tool}: ${describeViolations(violations)}`, { violations });
  }
  return config as Record<string, unknown>;
}

// ---- reading ------------------------------------------------------------------------------

interface DirectiveRow {
  id: string;
  name: string;
  tool: string;
  kind: DirectiveKind;
  version: number;
  text: string;
  config: Record<string, unknown>;
  created_at: Date | string;
  updated_at: Date | string;
}

const iso = (t: Date | string) => (t instanceof Date ? t.toISOString() : new Date(t).toISOString());

function toDirective(r: DirectiveRow): Directive {
  return { id: r.id, name: r.name, tool: r.tool, kind: r.kind, version: r.version, text: r.text, config: r.config, createdAt: iso(r.created_at), updatedAt: iso(r.updated_at) };
}

const SELECT_CURRENT = `SELECT d.id, d.name, d.tool, d.kind, d.version, v.text, v.config, d.created_at, d.updated_at
  FROM directives d JOIN directive_versions v ON v.directive_id = d.id AND v.version = d.version`;

/** D1, D2, … in number order (optionally of one tool). */
export async function listDirectives(q: Queryable, opts: { tool?: string } = {}): Promise<Directive[]> {
  const rows = await q.query<DirectiveRow>(
    `${SELECT_CURRENT} ${opts.tool ? 'WHERE d.tool = $1' : ''} ORDER BY length(d.id), d.id`,
    opts.tool ? [opts.tool] : [],
  );
  return rows.map(toDirective);
}

export async function getDirective(q: Queryable, id: string): Promise<Directive | null> {
  const rows = await q.query<DirectiveRow>(`${SELECT_CURRENT} WHERE d.id = $1`, [id]);
  return rows[0] ? toDirective(rows[0]) : null;
}

/** Every version of a directive, oldest first. */
export async function directiveVersions(q: Queryable, id: string): Promise<DirectiveVersion[]> {
  const rows = await q.query<{ version: number; name: string | null; text: string; config: Record<string, unknown>; changed_by: string; created_at: Date | string; current_name: string }>(
    `SELECT v.version, v.name, v.text, v.config, v.changed_by, v.created_at, d.name AS current_name
       FROM directive_versions v JOIN directives d ON d.id = v.directive_id WHERE v.directive_id = $1 ORDER BY v.version`,
    [id],
  );
  return rows.map((r) => ({ version: r.version, name: r.name ?? r.current_name, text: r.text, config: r.config, changedBy: r.changed_by, createdAt: iso(r.created_at) }));
}

// ---- writing ------------------------------------------------------------------------------

/**
 * A custom directive, numbered after the others (D5, D6, …), at version 1. `tool` must be
 * checked against the registry by the caller; the config is checked here. Run in a transaction.
 */
export async function createDirective(q: Queryable, body: CreateDirective, actor: string, tools: ToolLookup): Promise<Directive> {
  const config = checkDirectiveConfig(tools, body.tool, body.config ?? {});
  const [row] = await q.query<{ id: string }>(
    `INSERT INTO directives (id, name, tool, version, kind) VALUES ('D' || nextval('directive_numbers'), $1, $2, 1, 'custom') RETURNING id`,
    [body.name, body.tool],
  );
  await q.query('INSERT INTO directive_versions (directive_id, version, name, text, config, changed_by) VALUES ($1, 1, $2, $3, $4::jsonb, $5)', [row!.id, body.name, body.text, JSON.stringify(config), actor]);
  return (await getDirective(q, row!.id))!;
}

/**
 * A new version of a directive, only when it is still at `ifVersion` (conflict otherwise).
 * Fields left out keep their current value; the tool never changes. Run in a transaction.
 */
export async function updateDirective(q: Queryable, id: string, body: UpdateDirective, actor: string, tools: ToolLookup): Promise<Directive> {
  // Lock the directive row alone first: a locking read joined to its versions would, after
  // waiting for a concurrent edit, re-check the join against the old snapshot and miss the row.
  const locked = await q.query('SELECT version FROM directives WHERE id = $1 FOR UPDATE', [id]);
  const current = locked.length > 0 ? await getDirective(q, id) : null;
  if (!current) throw new ProductOsError('not_found', `no directive ${id}`);
  if (current.version !== body.ifVersion) {
    throw new ProductOsError('conflict', `directive ${id} is at version ${current.version}, not ${body.ifVersion}`, { currentVersion: current.version, directive: current });
  }
  const config = body.config === undefined ? current.config : checkDirectiveConfig(tools, current.tool, body.config);
  const name = body.name ?? current.name;
  const text = body.text ?? current.text;
  const rows = await q.query<{ version: number }>(
    'UPDATE directives SET name = $3, version = version + 1, updated_at = now() WHERE id = $1 AND version = $2 RETURNING version',
    [id, body.ifVersion, name],
  );
  if (rows.length === 0) {
    const now = await getDirective(q, id);
    throw new ProductOsError('conflict', `directive ${id} is at version ${now?.version}, not ${body.ifVersion}`, { currentVersion: now?.version, directive: now });
  }
  await q.query('INSERT INTO directive_versions (directive_id, version, name, text, config, changed_by) VALUES ($1, $2, $3, $4, $5::jsonb, $6)', [id, rows[0]!.version, name, text, JSON.stringify(config), actor]);
  return (await getDirective(q, id))!;
}

// ---- runs and their directive -------------------------------------------------------------

/**
 * The current version of directive `id` (default: the tool's own, D1–D3) as a run snapshot.
 * Refuses, as invalid input, a directive that does not exist or belongs to another tool.
 */
export async function directiveSnapshot(q: Queryable, tool: string, id?: string): Promise<DirectiveSnapshot> {
  const wanted = id ?? DEFAULT_DIRECTIVES[tool];
  if (!wanted) throw new ProductOsError('invalid_input', `${tool} has no default directive; name one with directive_id`);
  const d = await getDirective(q, wanted);
  if (!d) throw new ProductOsError('invalid_input', `no directive ${wanted} (GET /api/directives lists them)`, { directive_id: wanted });
  if (d.tool !== tool) throw new ProductOsError('invalid_input', `directive ${wanted} is for ${d.tool}, not ${tool}`, { directive_id: wanted, directiveTool: d.tool, tool });
  return { id: d.id, name: d.name, version: d.version, text: d.text, config: d.config };
}

/** Keeps on the run the directive it uses. */
export async function recordRunDirective(q: Queryable, runId: string, snapshot: DirectiveSnapshot): Promise<void> {
  const rows = await q.query('UPDATE runs SET directive = $2::jsonb WHERE id = $1 RETURNING id', [runId, JSON.stringify(snapshot)]);
  if (rows.length === 0) throw new ProductOsError('not_found', `no run ${runId} to keep directive ${snapshot.id} on`);
}

/** The directive a run used (null when it used none), or null when there is no such run. */
export async function runDirective(q: Queryable, runId: string): Promise<{ directive: DirectiveSnapshot | null } | null> {
  const rows = await q.query<{ directive: DirectiveSnapshot | null }>('SELECT directive FROM runs WHERE id = $1', [runId]);
  return rows[0] ? { directive: rows[0].directive ?? null } : null;
}

/**
 * The latest succeeded runs of `tool` that used directive `directiveId` (any version), newest
 * first, with their input: the caller picks the one whose scope matches. Bounded by `limit`.
 */
export async function succeededRunsOfDirective(
  q: Queryable,
  tool: string,
  directiveId: string,
  opts: { excludeRunId?: string; limit?: number } = {},
): Promise<Array<{ id: string; input: unknown; finishedAt: string | null }>> {
  const rows = await q.query<{ id: string; input: unknown; finished_at: Date | string | null }>(
    `SELECT id, input, finished_at FROM runs
      WHERE tool = $1 AND directive ->> 'id' = $2 AND status = 'succeeded' AND ($3::uuid IS NULL OR id <> $3::uuid)
      ORDER BY finished_at DESC NULLS LAST, created_at DESC LIMIT $4`,
    [tool, directiveId, opts.excludeRunId ?? null, opts.limit ?? 20],
  );
  return rows.map((r) => ({ id: r.id, input: r.input, finishedAt: r.finished_at === null ? null : iso(r.finished_at) }));
}

/**
 * What new/spike flags need of a log-triage run's output, without its examples and line
 * numbers: its window and one entry per template id, counts summed over files.
 */
export async function logTriageSummary(
  q: Queryable,
  runId: string,
): Promise<{ window: { since: string | null; until: string } | null; templates: Array<{ id: string; template: string; count: number }> } | null> {
  const [run] = await q.query<{ window: { since: string | null; until: string } | null }>("SELECT output -> 'window' AS window FROM runs WHERE id = $1 AND output IS NOT NULL", [runId]);
  if (!run) return null;
  const templates = await q.query<{ id: string; template: string; count: string | number }>(
    `SELECT t ->> 'id' AS id, min(t ->> 'template') AS template, sum((t ->> 'count')::bigint) AS count
       FROM runs, jsonb_array_elements(output -> 'templates') AS t
      WHERE runs.id = $1 GROUP BY t ->> 'id' ORDER BY count DESC`,
    [runId],
  );
  return { window: run.window, templates: templates.map((t) => ({ id: t.id, template: t.template, count: Number(t.count) })) };
}
