/** The registry's types, derived from its meta-schema (registry/meta-schema.ts). */
import type { Static } from '@sinclair/typebox';
import type { Executor, RegistryFile as RegistryFileSchema, RISKS, TOOL_MODULES, ToolSpec as ToolSpecSchema } from './meta-schema';

export type Risk = (typeof RISKS)[number];
export type ToolModule = (typeof TOOL_MODULES)[number];
export type ExecutorSpec = Static<typeof Executor>;
/** One entry of `tool-registry.yaml`, as the meta-schema guarantees it. */
export type ToolSpec = Static<typeof ToolSpecSchema>;
export type RegistryFile = Static<typeof RegistryFileSchema>;
