/**
 * The service_map task: what the backend collects about allowlisted containers and hands the
 * worker (`job.context`), the tool's input and the graph it returns (the registry's
 * `ops.service_map` inputSchema and outputSchema, which a test holds equal to these). The
 * backend's collector, the worker and the Service Map panel all take their types from here.
 */
import { Type, type Static } from '@sinclair/typebox';

const Closed = { additionalProperties: false } as const;
const Port = Type.Integer({ minimum: 1, maximum: 65535 });
export const PortProtocol = Type.Union([Type.Literal('tcp'), Type.Literal('udp'), Type.Literal('sctp')]);
export type PortProtocol = Static<typeof PortProtocol>;

export const ServiceMapInput = Type.Object({ include_stopped: Type.Optional(Type.Boolean({ default: false })) }, Closed);
export type ServiceMapInput = Static<typeof ServiceMapInput>;

/**
 * One allowlisted container as the backend saw it: names, networks, ports, links, environment
 * variable NAMES and which container an environment value refers to; never the values. Ports
 * are as Docker reports them (any protocol text); the task keeps the valid ones.
 */
export const ServiceContainer = Type.Object({
  /** Container id (masked by the backend in redacted debug mode). */
  id: Type.String(),
  name: Type.String(),
  image: Type.String(),
  state: Type.String(),
  networks: Type.Array(Type.Object({ name: Type.String(), aliases: Type.Array(Type.String()) })),
  ports: Type.Array(Type.Object({ container_port: Type.Number(), host_port: Type.Union([Type.Number(), Type.Null()]), protocol: Type.String() })),
  links: Type.Array(Type.Object({ to: Type.String(), alias: Type.String() })),
  env_names: Type.Array(Type.String()),
  /** Environment variables whose value names another listed container (by name, alias or host name). */
  env_references: Type.Array(Type.Object({ name: Type.String(), to: Type.String() })),
});
export type ServiceContainer = Static<typeof ServiceContainer>;

/** `job.context` of a service_map job (plus the directive snapshot the run used). */
export const ServiceMapContext = Type.Object({ containers: Type.Array(ServiceContainer), directive: Type.Optional(Type.Unknown()) });
export type ServiceMapContext = Static<typeof ServiceMapContext>;

export const ServiceNode = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    image: Type.String(),
    state: Type.String(),
    networks: Type.Array(Type.String()),
    ports: Type.Array(Type.Object({ container_port: Port, host_port: Type.Union([Port, Type.Null()]), protocol: PortProtocol }, Closed)),
    env_names: Type.Array(Type.String()),
  },
  Closed,
);
export type ServiceNode = Static<typeof ServiceNode>;

export const ServiceEdgeKind = Type.Union([Type.Literal('network'), Type.Literal('link'), Type.Literal('env_reference')]);
export const ServiceEdge = Type.Object({ from: Type.String(), to: Type.String(), kind: ServiceEdgeKind, label: Type.Optional(Type.String()) }, Closed);
export type ServiceEdge = Static<typeof ServiceEdge>;

/** The task's output: nodes sorted by name, edges network → link → env_reference. */
export const ServiceMap = Type.Object({ nodes: Type.Array(ServiceNode), edges: Type.Array(ServiceEdge) }, Closed);
export type ServiceMap = Static<typeof ServiceMap>;
