import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context';
import { ProductOsError } from '../../errors';
import { serve } from '../route';

/**
 * What the event store holds, for the Insights panel's pickers and its empty state. A read,
 * not a run: opening Insights must not fill the Runs view. The warehouse opens lazily here
 * like it does for the tools (DuckDB file, or BigQuery when configured).
 */
export function eventRoutes(app: FastifyInstance, ctx: ApiContext): void {
  serve(app, 'eventCatalog', async () => {
    if (!ctx.analytics) throw new ProductOsError('not_configured', 'this backend has no events store (it runs as a remote executor)');
    const warehouse = await ctx.analytics.warehouse();
    return { engine: warehouse.engine, ...(await warehouse.catalog()) };
  });
}
