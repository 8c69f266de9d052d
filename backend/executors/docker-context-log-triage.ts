import type { Queryable } from '../store/db';

/**
 * What the backend hands the log_triage task besides its input (the previous successful run's
 * summary for new/spike flags, the directive in force). Placeholder until log triage lands.
 */
export async function logTriageContext(_input: unknown, _q: Queryable): Promise<Record<string, unknown> | undefined> {
  return undefined;
}
