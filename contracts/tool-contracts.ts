/**
 * Which registry tools have their input or output declared in contracts/: the code that builds
 * or draws these values takes its types from the contract, and test/unit/tool-contracts.test.ts
 * holds each equal to the registry's inputSchema / outputSchema, so the two cannot drift apart.
 */
import type { TSchema } from '@sinclair/typebox';
import { AnomalyDetection, CohortRetention, FunnelSummary, TopDrivers } from './tools/analytics';
import { ChannelPosts, ChannelPostsInput } from './tools/marketing';
import { GpuReport, GpuReportInput } from './tasks/gpu-report';
import { ServiceMap, ServiceMapInput } from './tasks/service-map';
import { ApplyBlueprintInput, ApplyBlueprintOutput, PlanBlueprintInput } from './blueprint';
import { PublishInput, PublishOutput, PublishPreview } from './tools/publish';
import { DeployOutput, ListServicesOutput, LogsTailOutput, RollbackOutput, ServiceStatus } from './tools/deploy';

export interface ToolContract {
  input?: TSchema;
  output?: TSchema;
}

export const TOOL_CONTRACTS: Readonly<Record<string, ToolContract>> = {
  'ops.service_map': { input: ServiceMapInput, output: ServiceMap },
  'ops.gpu_report': { input: GpuReportInput, output: GpuReport },
  'analytics.funnel_summary': { output: FunnelSummary },
  'analytics.top_drivers': { output: TopDrivers },
  'analytics.anomaly_detect': { output: AnomalyDetection },
  'analytics.cohort_retention': { output: CohortRetention },
  'marketing.generate_channel_posts': { input: ChannelPostsInput, output: ChannelPosts },
  'cloudrun.deploy_service': { output: DeployOutput },
  'cloudrun.get_service_status': { output: ServiceStatus },
  'cloudrun.rollback_service': { output: RollbackOutput },
  'cloudrun.list_services': { output: ListServicesOutput },
  'logs.tail': { output: LogsTailOutput },
  'marketing.publish_missinglettr': { input: PublishInput, output: PublishOutput },
  'marketing.preview_missinglettr': { input: PublishInput, output: PublishPreview },
  'infra.apply_blueprint': { input: ApplyBlueprintInput, output: ApplyBlueprintOutput },
  'infra.plan_blueprint': { input: PlanBlueprintInput, output: ApplyBlueprintOutput },
};
