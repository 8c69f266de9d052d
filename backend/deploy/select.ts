import type { Config } from '../config';
import { dockerClient } from '../executors/docker-client';
import { ProductOsError } from '../errors';
import { LocalDeployTarget } from './local/target';
import type { DeployTarget } from './target';
import type { GcpOverrides } from '../gcp/client-options';

/**
 * The deploy target the settings pick: PRODUCT_OS_DEPLOY_TARGET=local (the default: the local
 * Docker engine, no account needed) or gcp (Cloud Build → Cloud Run, Cloud Logging; needs
 * GOOGLE_CLOUD_PROJECT). Made on first use, so a backend without Docker still starts.
 */
export interface DeployTargetDeps {
  /** Secret references (sm://…, editor secrets) to values, for revisions' secret env vars. */
  resolveSecret?: (ref: string, signal: AbortSignal) => Promise<string>;
  /** Google client transport (tests: local servers); opaque here, the gcp target reads it. */
  gcp?: unknown;
}

export function createDeployTarget(config: Config, deps: DeployTargetDeps = {}): () => Promise<DeployTarget> {
  let target: Promise<DeployTarget> | undefined;
  return () =>
    (target ??= (async (): Promise<DeployTarget> => {
      if (config.deployTarget === 'gcp') {
        if (!config.gcpProject) throw new ProductOsError('not_configured', 'PRODUCT_OS_DEPLOY_TARGET=gcp needs GOOGLE_CLOUD_PROJECT; set it, or use the local target');
        // Loaded on first use: the Google clients are heavy, and a local user never needs them.
        const { GcpDeployTarget } = await import('./gcp/target');
        return new GcpDeployTarget(config, deps.gcp as GcpOverrides | undefined);
      }
      return new LocalDeployTarget({ docker: dockerClient(), dataDir: config.dataDir, ...(deps.resolveSecret ? { resolveSecret: deps.resolveSecret } : {}) });
    })());
}
