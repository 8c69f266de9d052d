/**
 * The optional `summary` of an ops.log_triage output: a few sentences from the configured
 * local model on what changed, written in the backend after the worker's result (the
 * registry's `summary` property, which test/unit/triage-model-summary.test.ts holds equal to
 * this), and the JSON the model is asked to answer with.
 */
import { Type, type Static } from '@sinclair/typebox';

/** Characters a summary may have: a short paragraph an on-call engineer reads in seconds. */
export const TRIAGE_SUMMARY_MAX = 600;

export const TriageSummary = Type.String({ minLength: 1, maxLength: TRIAGE_SUMMARY_MAX });
export type TriageSummary = Static<typeof TriageSummary>;

export const TriageSummaryAnswer = Type.Object({ summary: TriageSummary }, { additionalProperties: false });
export type TriageSummaryAnswer = Static<typeof TriageSummaryAnswer>;
