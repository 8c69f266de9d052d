/**
 * The deploy tools' outputs (cloudrun.deploy_service, get_service_status, rollback_service,
 * list_services and logs.tail), declared once: the deploy targets (local Docker, Google Cloud)
 * return them, the Services view draws them, and a test holds each equal to the registry's
 * outputSchema.
 */
import { Type, type Static } from '@sinclair/typebox';

const Closed = { additionalProperties: false } as const;

export const ServiceState = Type.Union([Type.Literal('ready'), Type.Literal('deploying'), Type.Literal('error'), Type.Literal('unknown')]);
export type ServiceState = Static<typeof ServiceState>;

export const DeployOutput = Type.Object(
  {
    service_url: Type.String(),
    revision: Type.String(),
    build_id: Type.Optional(Type.String()),
    warnings: Type.Optional(Type.Array(Type.String())),
  },
  Closed,
);
export type DeployOutput = Static<typeof DeployOutput>;

/** One revision of a service: an image (locally) or a Cloud Run revision. */
export const RevisionInfo = Type.Object(
  {
    name: Type.String(),
    /** ready: healthy (locally: its container answered the health check); retired: kept for rollback, not running. */
    status: Type.Union([Type.Literal('ready'), Type.Literal('deploying'), Type.Literal('error'), Type.Literal('retired')]),
    /** Share of traffic, 0–100. */
    traffic_percent: Type.Integer({ minimum: 0, maximum: 100 }),
    created_at: Type.String(),
    image: Type.Optional(Type.String()),
    ref: Type.Optional(Type.String()),
    message: Type.Optional(Type.String()),
  },
  Closed,
);
export type RevisionInfo = Static<typeof RevisionInfo>;

export const ServiceStatus = Type.Object(
  {
    service_name: Type.String(),
    region: Type.String(),
    service_url: Type.String(),
    latest_ready_revision: Type.String(),
    status: ServiceState,
    last_deploy_time: Type.Optional(Type.String()),
    /** Newest first. */
    revisions: Type.Optional(Type.Array(RevisionInfo)),
    /** Revision serving all traffic when it is pinned (not "latest"). */
    serving_revision: Type.Optional(Type.String()),
    message: Type.Optional(Type.String()),
  },
  Closed,
);
export type ServiceStatus = Static<typeof ServiceStatus>;

export const RollbackOutput = Type.Object(
  {
    service_name: Type.String(),
    region: Type.String(),
    from_revision: Type.String(),
    to_revision: Type.String(),
    service_url: Type.String(),
    warnings: Type.Optional(Type.Array(Type.String())),
  },
  Closed,
);
export type RollbackOutput = Static<typeof RollbackOutput>;

export const ServiceSummary = Type.Object(
  {
    service_name: Type.String(),
    region: Type.String(),
    service_url: Type.String(),
    status: ServiceState,
    serving_revision: Type.String(),
    revision_count: Type.Integer({ minimum: 0 }),
  },
  Closed,
);
export type ServiceSummary = Static<typeof ServiceSummary>;

export const ListServicesOutput = Type.Object({ target: Type.Union([Type.Literal('local'), Type.Literal('gcp')]), services: Type.Array(ServiceSummary) }, Closed);
export type ListServicesOutput = Static<typeof ListServicesOutput>;

export const LogLineOut = Type.Object({ timestamp: Type.String(), severity: Type.Optional(Type.String()), text: Type.String() }, Closed);
export type LogLineOut = Static<typeof LogLineOut>;

export const LogsTailOutput = Type.Object({ lines: Type.Array(LogLineOut) }, Closed);
export type LogsTailOutput = Static<typeof LogsTailOutput>;
