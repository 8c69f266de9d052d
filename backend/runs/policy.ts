import type { Risk } from '../../registry/types';

export interface PolicyOptions {
  mediumRiskNeedsApproval: boolean;
}

/**
 * Who must say yes before a tool runs. High risk (pricing, billing, destructive production
 * infrastructure, claim-heavy marketing) always waits for a person; medium is configurable.
 */
export function needsApproval(risk: Risk, opts: PolicyOptions): boolean {
  if (risk === 'high') return true;
  if (risk === 'medium') return opts.mediumRiskNeedsApproval;
  return false;
}
