import type { LlmProvider, LlmUsage } from './provider';

/**
 * Wraps a provider so that each call's token counts are recorded (and only they: the record
 * callback receives a LlmUsage, which has no field for text).
 */
export function metered(inner: LlmProvider, record: (usage: LlmUsage) => Promise<void>): LlmProvider {
  return {
    provider: inner.provider,
    model: inner.model,
    async generate(req) {
      const result = await inner.generate(req);
      await record(result.usage);
      return result;
    },
  };
}
