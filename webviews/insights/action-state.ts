/**
 * Why "Save as insight" or "Draft campaign" cannot run right now, in the user's words (null
 * when it can): there is no result yet, the result is sample data, or the tool is missing
 * from this version. A button that cannot run is disabled and shows this next to it.
 */
export interface ActionFacts {
  /** Whether there is a result to act on. */
  hasResult: boolean;
  /** Whether that result is the made-up sample. */
  sample: boolean;
  /** The tool behind the action, when this backend has it: its title and whether it can run. */
  tool?: { title: string; available: boolean };
}

export function saveBlocked(f: ActionFacts): string | null {
  if (!f.tool?.available) return `Saving insights is not available in this version yet${f.tool ? ` (${f.tool.title})` : ''}.`;
  if (!f.hasResult) return 'Run the analysis first: there is no result to save yet.';
  if (f.sample) return 'Sample data is not saved: run the analysis on your data first.';
  return null;
}

export function draftBlocked(f: ActionFacts): string | null {
  if (!f.tool?.available) return `Drafting campaigns is not available in this version yet${f.tool ? ` (${f.tool.title})` : ''}.`;
  if (!f.hasResult) return 'Run the analysis first: there is no result to draft a campaign from yet.';
  return null;
}
