import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExecutionContext } from '../../executors/executor';
import type { Config } from '../../config';

export interface InsightInput {
  insight: {
    type: string;
    title: string;
    summary: string;
    severity: string;
    confidence: number;
    window: { range_days: number };
    context?: Record<string, unknown>;
    recommendations: Array<{ action: string; rationale: string }>;
    links?: Array<{ label: string; url: string }>;
  };
}

export interface InsightOutput {
  insight_id: string;
  stored: {
    bigquery: { dataset: string; table: string };
    firestore: { collection: string; doc_id: string };
    gcs: { bucket: string; prefix: string };
    local: { table: string; row_id: string; artifact: string };
  };
}

/** Where insight artifacts go in a data folder. */
export const insightsDir = (dataDir: string) => path.join(dataDir, 'insights');

/**
 * analytics.write_insight, locally: a row in the store's `insights` table and a JSON artifact
 * in the data folder, committed with the run. The artifact is written to a temporary name
 * first and renamed inside the commit, so a failed run leaves neither a row nor a file. The
 * seed's three cloud places are filled with their local stand-ins (the store table, the row
 * as the pointer, the data folder as the bucket); stored.local says plainly where it went.
 */
export function writeInsight(config: Config) {
  return async (input: InsightInput, ctx: ExecutionContext): Promise<InsightOutput> => {
    const id = randomUUID();
    const dir = insightsDir(config.dataDir);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const artifact = path.join(dir, `${id}.json`);
    const tmp = `${artifact}.tmp`;
    const createdAt = new Date().toISOString();
    const doc = { insight_id: id, created_at: createdAt, run_id: ctx.run.id, ...input.insight };
    fs.writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
    try {
      return await ctx.commit(async (tx) => {
        const i = input.insight;
        await tx.query(
          `INSERT INTO insights (id, run_id, type, title, summary, severity, confidence, range_days, body, artifact)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)`,
          [id, ctx.run.id, i.type, i.title, i.summary, i.severity, i.confidence, i.window.range_days, JSON.stringify(doc), artifact],
        );
        fs.renameSync(tmp, artifact);
        return {
          insight_id: id,
          stored: {
            bigquery: { dataset: 'local', table: 'insights' },
            firestore: { collection: 'insights', doc_id: id },
            gcs: { bucket: `file://${dir}`, prefix: `${id}.json` },
            local: { table: 'insights', row_id: id, artifact },
          },
        };
      });
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      fs.rmSync(artifact, { force: true });
      throw err;
    }
  };
}
