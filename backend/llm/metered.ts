import type { LlmProvider, LlmUsage } from './provider';
import { ModelOutputError } from './schema-output';

/**
 * Wraps a provider so that each call's token counts are recorded (and only they: the record
 * callback receives a LlmUsage, which has no field for text).
 */
export function metered(inner: LlmProvider, record: (usage: LlmUsage) => Promise<void>): LlmProvider {
  return {
    provider: inner.provider,
    model: inner.model,
    async generate(req) {
      let result;
      try {
        result = await inner.generate(req);
      } catch (err) {
        // An answer that failed its schema still spent tokens: they are counted too.
        if (err instanceof ModelOutputError) await record(err.usage);
        throw err;
      }
      await record(result.usage);
      return result;
    },
  };
}
