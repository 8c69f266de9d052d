/**
 * The meta-schema of tool-registry.yaml, declared once: the loader checks the file against it,
 * and the registry's TypeScript types are derived from it (registry/types.ts), so the file's
 * rules and the code that reads it cannot drift apart.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { JsonSchemaObject } from '../contracts/json-schema';

/** A JSON Schema `enum` whose TypeScript type is the union of its values. */
const Enum = <const T extends readonly string[]>(values: T) => Type.Unsafe<T[number]>({ enum: [...values] });

export const TOOL_MODULES = ['code', 'brain', 'analytics', 'marketing', 'ops', 'cards', 'events', 'system'] as const;
export const RISKS = ['low', 'medium', 'high'] as const;

const Text = Type.String({ minLength: 1 });

export const LocalExecutor = Type.Object({ kind: Type.Literal('local'), handler: Text }, { additionalProperties: false });
export const DockerExecutor = Type.Object(
  {
    kind: Type.Literal('docker'),
    image: Text,
    task: Text,
    network: Enum(['none', 'llm'] as const),
    resources: Type.Object(
      { memory_mb: Type.Integer({ minimum: 16 }), cpus: Type.Number({ exclusiveMinimum: 0 }), pids: Type.Integer({ minimum: 8 }) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export const HttpExecutor = Type.Object(
  { kind: Type.Literal('http'), url: Type.String({ pattern: '^https?://' }), path: Type.String({ pattern: '^/' }), fallback: Type.Optional(Type.Literal('local')) },
  { additionalProperties: false },
);

const EXECUTORS = [LocalExecutor, DockerExecutor, HttpExecutor] as const;
type ExecutorOf<T extends readonly TSchema[]> = { [K in keyof T]: Static<T[K]> }[number];

/**
 * One of the three executors, chosen by `kind` (a discriminated oneOf, so a bad executor is
 * reported against the branch its kind names, not against all three).
 */
export const Executor = Type.Unsafe<ExecutorOf<typeof EXECUTORS>>({
  type: 'object',
  required: ['kind'],
  properties: { kind: { enum: EXECUTORS.map((e) => e.properties.kind.const) } },
  discriminator: { propertyName: 'kind' },
  oneOf: [...EXECUTORS],
});

/** MCP requires tool schemas to describe objects. */
export const ObjectSchema = Type.Unsafe<JsonSchemaObject & { type: 'object' }>({ type: 'object', required: ['type'], properties: { type: { const: 'object' } } });

export const ToolSpec = Type.Object(
  {
    title: Text,
    description: Text,
    module: Enum(TOOL_MODULES),
    risk: Enum(RISKS),
    idempotent: Type.Boolean(),
    timeout_seconds: Type.Integer({ minimum: 1, maximum: 3600 }),
    max_attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
    executor: Executor,
    /** The settings a directive of this tool may carry (a tool without one takes any JSON object). */
    configSchema: Type.Optional(ObjectSchema),
    inputSchema: ObjectSchema,
    outputSchema: ObjectSchema,
  },
  { additionalProperties: false },
);

/** Tool names are dotted lowercase (`module.verb_noun`). */
export const TOOL_NAME_PATTERN = '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$';

export const RegistryFile = Type.Object(
  {
    version: Type.Literal(1),
    tools: Type.Unsafe<Record<string, Static<typeof ToolSpec>>>({ type: 'object', minProperties: 1, propertyNames: { pattern: TOOL_NAME_PATTERN }, additionalProperties: ToolSpec }),
  },
  { additionalProperties: false, title: 'Product OS tool registry' },
);
