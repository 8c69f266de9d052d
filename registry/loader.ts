import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parseDocument } from 'yaml';
import metaSchema from './meta-schema.json';
import type { RegistryFile, ToolSpec } from './types';
import { toViolations, type Violation } from './validation-error';

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

  const metaAjv = new Ajv({ allErrors: false, discriminator: true, strict: true });
  const checkFile = metaAjv.compile<RegistryFile>(metaSchema);
  if (!checkFile(data)) {
    const [v] = toViolations(checkFile.errors);
    const tool = v.pointer.match(/^\/tools\/([^/]+)/)?.[1]?.replace(/~1/g, '/').replace(/~0/g, '~');
    throw new RegistryError(file, v.pointer, `${v.rule}: ${v.message}`, tool);
  }

  // One Ajv for all tool schemas: formats on, coercion off, defaults applied to inputs.
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });
  addFormats(ajv);
  const tools = new Map<string, CompiledTool>();
  for (const [name, spec] of Object.entries(data.tools)) {
    const input = compileOne(ajv, file, name, 'inputSchema', spec);
    const output = compileOne(ajv, file, name, 'outputSchema', spec);
    tools.set(name, {
      name,
      spec,
      validateInput: (value) => (input(value) ? [] : toViolations(input.errors)),
      validateOutput: (value) => (output(value) ? [] : toViolations(output.errors)),
    });
  }
  return { file, tools, get: (name) => tools.get(name) };
}

function compileOne(ajv: Ajv, file: string, tool: string, which: 'inputSchema' | 'outputSchema', spec: ToolSpec): ValidateFunction {
  try {
    return ajv.compile(spec[which]);
  } catch (err) {
    // Ajv names the failing schema path in its message ("schema is invalid: data/properties/x/type ...").
    const message = (err as Error).message;
    const at = message.match(/data(\/[^\s]*)/)?.[1] ?? '';
    throw new RegistryError(file, `/tools/${tool}/${which}${at}`, message, tool);
  }
}
