import type { LocalHandler } from '../executors/local';

/** Diagnostic: proves the whole path (validation, policy, store, audit, executor) works. */
export const ping: LocalHandler = async (input: { message?: string }) => ({
  pong: true,
  ...(input.message === undefined ? {} : { message: input.message }),
  at: new Date().toISOString(),
});
