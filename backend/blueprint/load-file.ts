/**
 * Reads a blueprint file (YAML, or JSON which YAML reads too) and checks it before anything is
 * sent anywhere: the schema (contracts/blueprint.ts) and the rules it cannot say
 * (check.ts). Every problem names the file, the line and the JSON pointer, all at once.
 */
import * as fs from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, type Document } from 'yaml';
import { Blueprint } from '../../contracts/blueprint';
import { compileSchema } from '../../contracts/validator';
import type { Violation } from '../../contracts/json-schema';
import { ProductOsError } from '../errors';
import { blueprintProblems } from './check';

const MAX_BYTES = 1024 * 1024;

export function readBlueprintFile(file: string): Blueprint {
  let text: string;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_BYTES) throw new ProductOsError('invalid_input', `${file} is ${size} bytes; a blueprint may be at most ${MAX_BYTES}`);
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof ProductOsError) throw err;
    throw new ProductOsError('invalid_input', `cannot read the blueprint ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseBlueprint(text, file);
}

export function parseBlueprint(text: string, file = 'blueprint'): Blueprint {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const at = lines.linePos(e.pos[0]);
    throw new ProductOsError('invalid_input', `${file}:${at.line}: not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
  let problems: Violation[] = compileSchema(Blueprint)(value);
  if (problems.length === 0) problems = blueprintProblems(value as Blueprint);
  if (problems.length) {
    const described = problems.slice(0, 20).map((p) => `${file}:${lineOf(doc, lines, p.pointer)}: ${p.pointer || '/'}: ${p.message}`);
    throw new ProductOsError('invalid_input', `invalid blueprint (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n  ${described.join('\n  ')}`, { violations: problems });
  }
  return value as Blueprint;
}

/** The line of the deepest node the pointer reaches (a missing property: its parent's line). */
function lineOf(doc: Document, lines: LineCounter, pointer: string): number {
  const path = pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node: unknown = doc.contents;
  let offset = (doc.contents as { range?: [number, number] } | null)?.range?.[0] ?? 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === seg);
      if (!pair) break;
      offset = (pair.key as { range?: [number, number] }).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)] as { range?: [number, number] } | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return lines.linePos(offset).line;
}
