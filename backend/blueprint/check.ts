/**
 * What the blueprint's schema cannot say: one service per name and region, min_instances not
 * above max_instances, a variable either plain or secret, and secret references that parse.
 * Each problem names its JSON pointer (relative to the blueprint).
 */
import type { Blueprint } from '../../contracts/blueprint';
import type { Violation } from '../../contracts/json-schema';
import { secretRefProblem } from '../secrets/secret-ref';

export function blueprintProblems(bp: Blueprint): Violation[] {
  const out: Violation[] = [];
  const seen = new Map<string, number>();
  bp.services.forEach((s, i) => {
    const at = `/services/${i}`;
    const key = `${s.name}@${s.region ?? bp.region ?? ''}`;
    const first = seen.get(key);
    if (first !== undefined) out.push({ pointer: `${at}/name`, rule: 'unique', message: `service "${s.name}" is already declared at /services/${first} for the same region` });
    else seen.set(key, i);
    const { min_instances: min, max_instances: max } = s.scaling ?? {};
    if (min !== undefined && max !== undefined && min > max) out.push({ pointer: `${at}/scaling/min_instances`, rule: 'maximum', message: `min_instances (${min}) is above max_instances (${max})` });
    for (const [name, ref] of Object.entries(s.secrets ?? {})) {
      const problem = secretRefProblem(ref);
      if (problem) out.push({ pointer: `${at}/secrets/${name}`, rule: 'secret_ref', message: problem });
      if (s.env && name in s.env) out.push({ pointer: `${at}/secrets/${name}`, rule: 'unique', message: `${name} is both in env and in secrets; a variable is one or the other` });
    }
  });
  return out;
}
