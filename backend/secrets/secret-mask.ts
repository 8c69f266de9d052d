/**
 * The values of every secret this backend has resolved or been handed, and the one function
 * that hides them. Logs, run events, run errors and /config/validate pass text through it, so
 * a value that slipped into a message (a library echoing a header, a provider quoting a
 * token) is masked whatever the redacted-debug setting says. Pattern masks (common/redact)
 * guess; this one knows.
 */
export class SecretMask {
  private readonly values = new Set<string>();
  /** Longest first, so a value containing another is masked whole. */
  private ordered: string[] = [];

  /** Values shorter than this are not masked: "1" or "yes" would blank out ordinary text. */
  static readonly MIN_LENGTH = 6;

  add(value: string): void {
    for (const form of forms(value)) {
      if (form.length < SecretMask.MIN_LENGTH || this.values.has(form)) continue;
      this.values.add(form);
      this.ordered = [...this.values].sort((a, b) => b.length - a.length);
    }
  }

  get size(): number {
    return this.values.size;
  }

  mask(text: string): string {
    if (this.ordered.length === 0 || text.length < SecretMask.MIN_LENGTH) return text;
    let out = text;
    for (const v of this.ordered) if (out.includes(v)) out = out.split(v).join('[secret]');
    return out;
  }

  /** Every string inside a JSON value. */
  maskValue<T>(value: T): T {
    if (this.ordered.length === 0) return value;
    if (typeof value === 'string') return this.mask(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.maskValue(v)) as T;
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.maskValue(v);
      return out as T;
    }
    return value;
  }
}

/** The value as it may appear in text: raw, JSON-escaped, base64 (HTTP Basic, API payloads), and a multi-line value's lines. */
function forms(value: string): string[] {
  const out = [value, JSON.stringify(value).slice(1, -1), Buffer.from(value).toString('base64'), value.trim()];
  if (value.includes('\n')) out.push(...value.split(/\r?\n/).filter((l) => l.trim().length >= 12));
  return out;
}
