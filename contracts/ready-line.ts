/**
 * The line `product-os serve` prints on stdout once it accepts requests (backend/cli.ts writes
 * it, extension/backend/ready-line.ts reads it): one JSON object on one line. The supervisor
 * learns the URL from it, since the backend may listen on a port it chose itself.
 * `serve --role executor` prints ExecutorReadyLine instead: it has no editor API and no MCP.
 */
import { Type, type Static } from '@sinclair/typebox';

export const ReadyLine = Type.Object({
  event: Type.Literal('ready'),
  /** The REST API's base URL, without a trailing slash. */
  url: Type.String({ format: 'uri' }),
  /** The MCP endpoint (streamable HTTP); a reader falls back to `${url}/mcp`. */
  mcp: Type.String({ format: 'uri' }),
  pid: Type.Optional(Type.Integer({ minimum: 1 })),
  dataDir: Type.Optional(Type.String()),
  store: Type.Optional(Type.Union([Type.Literal('pglite'), Type.Literal('postgres')])),
});
export type ReadyLine = Static<typeof ReadyLine>;

/** The ready line of `serve --role executor`: what it serves, and no MCP endpoint (it has none). */
export const ExecutorReadyLine = Type.Object({
  event: Type.Literal('ready'),
  role: Type.Literal('executor'),
  url: Type.String({ format: 'uri' }),
  /** Its routes as `METHOD /path`: /health, each http tool's execute path, the cancel path. */
  serves: Type.Array(Type.String()),
  pid: Type.Optional(Type.Integer({ minimum: 1 })),
  dataDir: Type.Optional(Type.String()),
  store: Type.Optional(Type.Union([Type.Literal('pglite'), Type.Literal('postgres')])),
});
export type ExecutorReadyLine = Static<typeof ExecutorReadyLine>;

/** The ready line as the backend prints it: JSON and a newline. */
export function formatReadyLine(line: ReadyLine | ExecutorReadyLine): string {
  return `${JSON.stringify(line)}\n`;
}
