/**
 * The line `product-os serve` prints on stdout once it accepts requests (backend/cli.ts writes
 * it, extension/backend/ready-line.ts reads it): one JSON object on one line. The supervisor
 * learns the URL from it, since the backend may listen on a port it chose itself.
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

/** The ready line as the backend prints it: JSON and a newline. */
export function formatReadyLine(line: ReadyLine): string {
  return `${JSON.stringify(line)}\n`;
}
