/**
 * The blueprint file (`product-os blueprint apply [--dry-run] FILE`) and the infra.apply_blueprint
 * tool it runs, declared once: the services a product should have — image, plain environment,
 * secret references, scaling and resources — reconciled with the deploy target (local Docker
 * or Cloud Run). The registry's inputSchema and outputSchema are held equal to these by
 * test/unit/tool-contracts.test.ts; the CLI checks a file against Blueprint before sending it,
 * so an error names the line as well as the JSON pointer.
 */
import { Type, type Static } from '@sinclair/typebox';

const Closed = { additionalProperties: false } as const;
const Name = Type.String({ pattern: '^[a-z]([-a-z0-9]{0,47}[a-z0-9])?$', description: 'a Cloud Run service name: lowercase letters, digits and -, starting with a letter' });
const Region = Type.String({ pattern: '^[a-z]+-[a-z]+[0-9]$', description: 'a region such as us-central1' });
const EnvName = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' });

export const BlueprintService = Type.Object(
  {
    name: Name,
    region: Type.Optional(Region),
    /** An image that exists already (a registry path, or a local tag for the local target). */
    image: Type.String({ minLength: 1 }),
    env: Type.Optional(Type.Record(EnvName, Type.String())),
    /** Environment variables from secrets: sm://PROJECT/NAME[/VERSION] or editor://NAME, never values. */
    secrets: Type.Optional(Type.Record(EnvName, Type.String({ pattern: '^(sm|editor)://' }))),
    scaling: Type.Optional(
      Type.Object(
        {
          min_instances: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
          max_instances: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
        },
        Closed,
      ),
    ),
    resources: Type.Optional(Type.Object({ cpu: Type.Optional(Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?m?$' })), memory: Type.Optional(Type.String({ pattern: '^[0-9]+(Mi|Gi)$' })) }, Closed)),
    timeout_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
    service_account_email: Type.Optional(Type.String()),
    allow_unauthenticated: Type.Optional(Type.Boolean()),
  },
  Closed,
);
export type BlueprintService = Static<typeof BlueprintService>;

export const Blueprint = Type.Object(
  {
    version: Type.Literal(1),
    /** The region of services that name none. */
    region: Type.Optional(Region),
    env: Type.Optional(Type.Union([Type.Literal('dev'), Type.Literal('staging'), Type.Literal('prod')], { default: 'dev' })),
    services: Type.Array(BlueprintService, { minItems: 1, maxItems: 100 }),
  },
  Closed,
);
export type Blueprint = Static<typeof Blueprint>;

export const ApplyBlueprintInput = Type.Object(
  {
    blueprint: Blueprint,
    dry_run: Type.Optional(Type.Boolean({ default: false })),
    /** Where the blueprint came from (its file name), recorded on the services it manages. */
    source: Type.Optional(Type.String({ maxLength: 200 })),
  },
  Closed,
);
export type ApplyBlueprintInput = Static<typeof ApplyBlueprintInput>;

/** infra.plan_blueprint: the same differences, read-only (low risk: no approval wait for a look). */
export const PlanBlueprintInput = Type.Object(
  {
    blueprint: Blueprint,
    source: Type.Optional(Type.String({ maxLength: 200 })),
  },
  Closed,
);
export type PlanBlueprintInput = Static<typeof PlanBlueprintInput>;

/** One difference: `env.X` and `secrets.X` say added/removed/changed (values are not shown); the rest show both sides. */
export const BlueprintFieldChange = Type.Object(
  {
    field: Type.String(),
    change: Type.Union([Type.Literal('add'), Type.Literal('remove'), Type.Literal('change')]),
    from: Type.Optional(Type.String()),
    to: Type.Optional(Type.String()),
  },
  Closed,
);

export const BlueprintServiceChange = Type.Object(
  {
    service: Type.String(),
    region: Type.String(),
    action: Type.Union([Type.Literal('create'), Type.Literal('update'), Type.Literal('unchanged')]),
    fields: Type.Array(BlueprintFieldChange),
    /** Set when applied: the revision now serving. */
    revision: Type.Optional(Type.String()),
  },
  Closed,
);
export type BlueprintServiceChange = Static<typeof BlueprintServiceChange>;

export const ApplyBlueprintOutput = Type.Object(
  {
    target: Type.Union([Type.Literal('local'), Type.Literal('gcp')]),
    dry_run: Type.Boolean(),
    changes: Type.Array(BlueprintServiceChange),
    /** Services the target has that the blueprint does not name: left as they are. */
    unmanaged: Type.Array(Type.String()),
  },
  Closed,
);
export type ApplyBlueprintOutput = Static<typeof ApplyBlueprintOutput>;
