import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { parseDocument } from 'yaml';
import { RegistryFile as RegistryFileSchema } from './meta-schema';
import type { RegistryFile, ToolSpec } from './types';
import type { Violation } from '../contracts/json-schema';
import { compileSchema } from '../contracts/validator';

/** A registry file that cannot be used: names the file, the tool and the JSON pointer. */
export class RegistryError extends Error {
  constructor(
    readonly file: string,
    readonly pointer: string,
    readonly problem: string,
    readonly tool?: string,
  ) {
    super(`${file}: ${tool ? `tool ${tool}: ` : ''}${pointer || '(root)'}: ${problem}`);
    this.name = 'RegistryError';
  }
}

export interface CompiledTool {
  name: string;
  spec: ToolSpec;
  validateInput(value: unknown): Violation[];
  validateOutput(value: unknown): Violation[];
}

export interface Registry {
  readonly file: string;
  readonly tools: ReadonlyMap<string, CompiledTool>;
  get(name: string): CompiledTool | undefined;
}

export const DEFAULT_REGISTRY_FILE = path.join(__dirname, 'tool-registry.yaml');

/**
 * Reads, checks against the meta-schema and compiles every schema. Any problem throws a
 * RegistryError before the backend accepts a single request.
 *
 * A registry text this version has already checked in full is not checked again: its parsed
 * form is read back and each tool's validators are compiled on the tool's first call (start-up
 * then skips the YAML parse, the meta-schema and every compile). The checked form is looked for
 * beside the file (`<file>.checked.json`, written by the build for the registry it ships, so that
 * even a first start on a new data folder skips the check) and in `cacheDir` (written here after
 * a full check). Any change to the file, or to the meta-schema, is a different key, checked in full.
 */
export function loadRegistry(file: string = DEFAULT_REGISTRY_FILE, opts: { cacheDir?: string } = {}): Registry {
  const text = readText(file);
  const key = cacheKey(text);
  const cached = opts.cacheDir ? path.join(opts.cacheDir, `registry-${key}.json`) : undefined;
  const checked = readShipped(file, key) ?? (cached ? (readJson(cached) as RegistryFile | undefined) : undefined);
  if (checked) return build(file, checked, true);
  const data = parseAndCheck(file, text);
  const registry = build(file, data, false);
  if (cached) writeChecked(cached, data);
  return registry;
}

/** Where the build leaves a registry file's checked form. */
export function shippedCheckFile(file: string): string {
  return `${file}.checked.json`;
}

/** Checks `file` in full (throwing a RegistryError as a start would) and writes its checked form beside it. */
export function writeShippedCheck(file: string): void {
  const text = readText(file);
  const data = parseAndCheck(file, text);
  build(file, data, false);
  fs.writeFileSync(shippedCheckFile(file), JSON.stringify({ key: cacheKey(text), registry: data }));
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new RegistryError(file, '', `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

function readShipped(file: string, key: string): RegistryFile | undefined {
  const shipped = readJson(shippedCheckFile(file)) as { key?: unknown; registry?: RegistryFile } | undefined;
  return shipped?.key === key ? shipped.registry : undefined;
}

function parseAndCheck(file: string, text: string): RegistryFile {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new RegistryError(file, '', `YAML syntax error at line ${e.linePos?.[0].line ?? '?'}: ${e.message.split('\n')[0]}`);
  }
  const data = doc.toJS() as unknown;
  const [v] = compileSchema(RegistryFileSchema)(data);
  if (v) {
    const tool = v.pointer.match(/^\/tools\/([^/]+)/)?.[1]?.replace(/~1/g, '/').replace(/~0/g, '~');
    throw new RegistryError(file, v.pointer, `${v.rule}: ${v.message}`, tool);
  }
  return data as RegistryFile;
}

/** Every tool schema through the process's one validator: formats on, coercion off, defaults applied to inputs. */
function build(file: string, registryFile: RegistryFile, lazy: boolean): Registry {
  const tools = new Map<string, CompiledTool>();
  for (const [name, spec] of Object.entries(registryFile.tools)) {
    const compile = (which: 'inputSchema' | 'outputSchema') => (lazy ? onFirstCall(() => compileOne(file, name, which, spec)) : compileOne(file, name, which, spec));
    const validateInput = compile('inputSchema');
    const validateOutput = compile('outputSchema');
    // Compiled now so a bad config schema stops the backend at start-up, like the others.
    if (spec.configSchema && !lazy) compileOne(file, name, 'configSchema', spec);
    tools.set(name, { name, spec, validateInput, validateOutput });
  }
  return { file, tools, get: (name) => tools.get(name) };
}

function onFirstCall(compile: () => (value: unknown) => Violation[]): (value: unknown) => Violation[] {
  let fn: ((value: unknown) => Violation[]) | undefined;
  return (value) => (fn ??= compile())(value);
}

/** The registry text and the meta-schema it was checked against: either changing is a new key. */
function cacheKey(text: string): string {
  return createHash('sha256').update(JSON.stringify(RegistryFileSchema)).update('\0').update(text).digest('hex').slice(0, 32);
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Written aside and renamed, so a reader never sees half a file; older keys are removed. */
function writeChecked(file: string, data: RegistryFile): void {
  try {
    const dir = path.dirname(file);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const old of fs.readdirSync(dir)) if (/^registry-[0-9a-f]+\.json$/.test(old) && old !== path.basename(file)) fs.rmSync(path.join(dir, old), { force: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(data), { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch {
    // A cache that cannot be written only costs the next start its full check.
  }
}

function compileOne(file: string, tool: string, which: 'inputSchema' | 'outputSchema' | 'configSchema', spec: ToolSpec): (value: unknown) => Violation[] {
  try {
    return compileSchema(spec[which] ?? {});
  } catch (err) {
    // Ajv names the failing schema path in its message ("schema is invalid: data/properties/x/type ...").
    const message = (err as Error).message;
    const at = message.match(/data(\/[^\s]*)/)?.[1] ?? '';
    throw new RegistryError(file, `/tools/${tool}/${which}${at}`, message, tool);
  }
}
