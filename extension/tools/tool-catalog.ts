/** The tool list, cached for a minute and dropped when the backend restarts. */
import type { ToolInfo } from '../../contracts/rest';
import type { BackendApi } from '../backend-api';

export class ToolCatalog {
  private cache?: { at: number; tools: Promise<ToolInfo[]> };

  constructor(
    private readonly api: Pick<BackendApi, 'call'>,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = 60_000,
  ) {}

  list(): Promise<ToolInfo[]> {
    if (!this.cache || this.now() - this.cache.at > this.ttlMs) {
      const tools = this.api.call('listTools', {}).then((r) => r.tools);
      const entry = { at: this.now(), tools };
      this.cache = entry;
      tools.catch(() => {
        if (this.cache === entry) this.cache = undefined;
      });
    }
    return this.cache.tools;
  }

  async get(name: string): Promise<ToolInfo | undefined> {
    return (await this.list()).find((t) => t.name === name);
  }

  invalidate(): void {
    this.cache = undefined;
  }
}
