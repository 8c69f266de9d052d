/**
 * What the backend keeps of a model call: who served it, token counts and time. There is no
 * field for prompt or completion text here, nor in the llm_usage table behind it.
 */
import { Type, type Static } from '@sinclair/typebox';

const Timestamp = Type.String({ format: 'date-time' });

export const LlmUsageRow = Type.Object(
  {
    id: Type.Integer(),
    runId: Type.Union([Type.String(), Type.Null()]),
    provider: Type.String(),
    model: Type.String(),
    promptTokens: Type.Integer({ minimum: 0 }),
    completionTokens: Type.Integer({ minimum: 0 }),
    durationMs: Type.Integer({ minimum: 0 }),
    createdAt: Timestamp,
  },
  { additionalProperties: false },
);
export type LlmUsageRow = Static<typeof LlmUsageRow>;

export const LlmUsageTotals = Type.Object(
  {
    calls: Type.Integer({ minimum: 0 }),
    promptTokens: Type.Integer({ minimum: 0 }),
    completionTokens: Type.Integer({ minimum: 0 }),
    durationMs: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type LlmUsageTotals = Static<typeof LlmUsageTotals>;

/** GET /api/runs/:id/usage: every model call of one run, oldest first, and their sum. */
export const RunUsage = Type.Object({ runId: Type.String(), calls: Type.Array(LlmUsageRow), totals: LlmUsageTotals }, { additionalProperties: false });
export type RunUsage = Static<typeof RunUsage>;

/** GET /api/usage/daily: token counts per UTC day, newest first. */
export const DailyUsage = Type.Object(
  {
    days: Type.Array(
      Type.Object(
        {
          day: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
          runs: Type.Integer({ minimum: 0 }),
          ...LlmUsageTotals.properties,
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type DailyUsage = Static<typeof DailyUsage>;

export const DailyUsageQuery = Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366, default: 30 })) }, { additionalProperties: false });
export type DailyUsageQuery = Static<typeof DailyUsageQuery>;
