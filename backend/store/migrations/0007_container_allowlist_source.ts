/**
 * Where a container allowlist entry comes from: written to the store ('store'), or listed in
 * PRODUCT_OS_SERVICE_MAP_CONTAINERS ('setting'), which each start-up makes the table match
 * without touching the store's own entries.
 */
export default `
ALTER TABLE container_allowlist
  ADD COLUMN source text NOT NULL DEFAULT 'store' CHECK (source IN ('store', 'setting'));
`;
