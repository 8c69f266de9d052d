import * as fs from 'node:fs';
import * as path from 'node:path';
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
 * Reads, checks against the meta-schema and compiles every schema once. Any problem throws a
 * RegistryError before the backend accepts a single request.
 */
export function loadRegistry(file: string = DEFAULT_REGISTRY_FILE): Registry {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new RegistryError(file, '', `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
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
  const registryFile = data as RegistryFile;

  // Every tool schema through the process's one validator: formats on, coercion off, defaults
  // applied to inputs.
  const tools = new Map<string, CompiledTool>();
  for (const [name, spec] of Object.entries(registryFile.tools)) {
    const validateInput = compileOne(file, name, 'inputSchema', spec);
    const validateOutput = compileOne(file, name, 'outputSchema', spec);
    // Compiled now so a bad config schema stops the backend at start-up, like the others.
    if (spec.configSchema) compileOne(file, name, 'configSchema', spec);
    tools.set(name, { name, spec, validateInput, validateOutput });
  }
  return { file, tools, get: (name) => tools.get(name) };
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
