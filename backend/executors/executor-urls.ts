import type { CompiledTool } from '../../registry/loader';

/**
 * Where the remote executors are: PRODUCT_OS_EXECUTOR_URLS maps an executor's name — the
 * first label of its registry URL's host without the "-REPLACE" placeholder, e.g.
 * "analytics-executor" for https://analytics-executor-REPLACE.a.run.app — to its real base URL:
 *   PRODUCT_OS_EXECUTOR_URLS=analytics-executor=https://analytics-executor-abc123-uc.a.run.app
 * One setting for every http tool that shares an executor, as the registry groups them.
 */
export type ExecutorUrls = Readonly<Record<string, string>>;

export function isPlaceholder(url: string): boolean {
  return url.includes('REPLACE');
}

/** The executor's name as PRODUCT_OS_EXECUTOR_URLS spells it. */
export function executorName(registryUrl: string): string {
  let host: string;
  try {
    host = new URL(registryUrl).hostname;
  } catch {
    return registryUrl;
  }
  return host.split('.')[0].replace(/-?REPLACE$/i, '');
}

/** Parses the setting; returns a problem sentence instead when it is malformed. */
export function parseExecutorUrls(value: string): ExecutorUrls | string {
  const out: Record<string, string> = {};
  for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).trim();
    const url = part.slice(eq + 1).trim();
    if (eq <= 0 || !/^[a-z0-9][a-z0-9-]*$/i.test(name)) return `"${part}" is not name=URL (e.g. analytics-executor=https://analytics-executor-abc-uc.a.run.app)`;
    if (!/^https?:\/\/[^\s/]+/.test(url)) return `the URL of ${name} must be http(s)://…`;
    if (isPlaceholder(url)) return `the URL of ${name} is still a placeholder`;
    out[name] = url.replace(/\/+$/, '');
  }
  return out;
}

/** The tool's remote base URL if it has one: configured, or a real (non-placeholder) registry URL. */
export function remoteUrl(tool: CompiledTool, urls: ExecutorUrls): string | undefined {
  const e = tool.spec.executor;
  if (e.kind !== 'http') return undefined;
  const configured = urls[executorName(e.url)];
  if (configured) return configured;
  return isPlaceholder(e.url) ? undefined : e.url;
}
