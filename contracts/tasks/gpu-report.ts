/**
 * The gpu_report task: what the backend reads of the host's GPUs (nvidia-smi) and hands the
 * worker (`job.context`), the tool's input and the report it returns (the registry's
 * `ops.gpu_report` inputSchema and outputSchema, which a test holds equal to these). The
 * nvidia-smi parser, the context builder and the worker take their types from here.
 */
import { Type, type Static } from '@sinclair/typebox';

const Closed = { additionalProperties: false } as const;
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);

export const GpuReportInput = Type.Object({ include_containers: Type.Optional(Type.Boolean({ default: true })) }, Closed);
export type GpuReportInput = Static<typeof GpuReportInput>;

export const GpuSource = Type.Union([Type.Literal('nvml'), Type.Literal('nvidia-smi'), Type.Literal('none')]);
export type GpuSource = Static<typeof GpuSource>;

/** One GPU as nvidia-smi reports it; a figure is null when the driver does not report it. */
export const GpuFacts = Type.Object({
  index: Type.Integer(),
  name: Type.String(),
  uuid: Type.String(),
  /** MiB. */
  memoryTotalMb: NullableNumber,
  memoryUsedMb: NullableNumber,
  utilizationPct: NullableNumber,
  temperatureC: NullableNumber,
  powerW: NullableNumber,
});
export type GpuFacts = Static<typeof GpuFacts>;

/** A process on a GPU: its pid as the host sees it; memory null under MIG or WDDM. */
export const GpuProcessFacts = Type.Object({ gpuUuid: Type.String(), pid: Type.Integer(), usedMemoryMb: NullableNumber });
export type GpuProcessFacts = Static<typeof GpuProcessFacts>;

/** An allowlisted running container: its (possibly masked) id, name and host pids. */
export const GpuContainerFacts = Type.Object({ id: Type.String(), name: Type.String(), pids: Type.Array(Type.Integer()) });
export type GpuContainerFacts = Static<typeof GpuContainerFacts>;

/** `job.context` of a gpu_report job (plus the directive snapshot the run used). */
export const GpuReportContext = Type.Object({
  source: GpuSource,
  gpus: Type.Array(GpuFacts),
  processes: Type.Array(GpuProcessFacts),
  containers: Type.Array(GpuContainerFacts),
  note: Type.Optional(Type.String()),
  directive: Type.Optional(Type.Unknown()),
});
export type GpuReportContext = Static<typeof GpuReportContext>;

/** The task's output: figures the driver did not give are 0 (power null) and named in `note`. */
export const GpuReport = Type.Object(
  {
    gpus: Type.Array(
      Type.Object(
        {
          index: Type.Integer({ minimum: 0 }),
          name: Type.String(),
          uuid: Type.String(),
          memory_total_mb: Type.Number({ minimum: 0 }),
          memory_used_mb: Type.Number({ minimum: 0 }),
          utilization_pct: Type.Number({ minimum: 0, maximum: 100 }),
          temperature_c: Type.Number(),
          power_w: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
        },
        Closed,
      ),
    ),
    containers: Type.Array(Type.Object({ name: Type.String(), id: Type.String(), gpu_memory_mb: Type.Number({ minimum: 0 }) }, Closed)),
    source: GpuSource,
    note: Type.Optional(Type.String()),
  },
  Closed,
);
export type GpuReport = Static<typeof GpuReport>;
