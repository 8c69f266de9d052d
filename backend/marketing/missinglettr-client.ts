/**
 * The part of the Missinglettr API the publish adapter speaks, in one place:
 *
 *   POST {base}/campaigns                 Authorization: Bearer <token>, Idempotency-Key: <key>
 *        { name, external_id, posts: [{ channel, text, media_urls?, link_url? }], schedule }
 *        → 200/201 { id, status: queued|scheduled|published|failed, error?, … }
 *   GET  {base}/campaigns?external_id=<key>
 *        → 200 { campaigns: [{ id, status, external_id, … }] }
 *
 * `external_id` carries our idempotency key, so a campaign whose answer was lost can be found
 * again. Answers are classified here; what they mean for a publish is decided by the tool.
 */
import { ProductOsError } from '../errors';
import { sleep } from '../executors/retry-backoff';

export const MISSINGLETTR_DEFAULT_URL = 'https://api.missinglettr.com/api/v1';

export interface CampaignRequest {
  name: string;
  external_id: string;
  posts: Array<{ channel: string; text: string; media_urls?: string[]; link_url?: string }>;
  schedule: { mode: 'now' | 'scheduled'; start_time?: string; timezone: string };
}

export interface ProviderCampaign {
  id: string;
  status: string;
  /** The provider's own reason when it failed. */
  reason?: string;
  raw: Record<string, unknown>;
}

export type CreateOutcome =
  | { kind: 'accepted'; campaign: ProviderCampaign }
  /** Refused outright (4xx): nothing was posted. */
  | { kind: 'rejected'; status: number; message: string }
  /** The token was refused. */
  | { kind: 'unauthorized'; status: number; message: string }
  /** 429, 5xx, or no answer: it may or may not have been created. */
  | { kind: 'unknown'; detail: string; retryAfterMs?: number };

export class MissinglettrClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  static requestLine(baseUrl: string): { method: 'POST'; url: string } {
    return { method: 'POST', url: `${baseUrl.replace(/\/+$/, '')}/campaigns` };
  }

  async create(body: CampaignRequest, signal: AbortSignal): Promise<CreateOutcome> {
    let res: Response;
    try {
      res = await this.fetchImpl(MissinglettrClient.requestLine(this.baseUrl).url, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.token}`, 'idempotency-key': body.external_id, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.any([signal, AbortSignal.timeout(30_000)]),
      });
    } catch (err) {
      signal.throwIfAborted();
      return { kind: 'unknown', detail: `no answer (${causeOf(err)})` };
    }
    const text = await res.text().catch(() => '');
    if (res.status === 200 || res.status === 201 || res.status === 202) {
      const campaign = campaignOf(parseJson(text));
      if (!campaign) return { kind: 'unknown', detail: `an answer ${res.status} without a campaign id` };
      return { kind: 'accepted', campaign };
    }
    if (res.status === 401 || res.status === 403) return { kind: 'unauthorized', status: res.status, message: messageOf(text) };
    if (res.status === 429 || res.status >= 500) {
      const retryAfter = Number(res.headers.get('retry-after'));
      return { kind: 'unknown', detail: `it answered ${res.status}${messageOf(text) ? ` (${messageOf(text)})` : ''}`, ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: Math.min(retryAfter * 1000, 10_000) } : {}) };
    }
    return { kind: 'rejected', status: res.status, message: messageOf(text) || `status ${res.status}` };
  }

  /** The campaign created under `externalId`, null when there is none; throws when it cannot tell. */
  async findByExternalId(externalId: string, signal: AbortSignal): Promise<ProviderCampaign | null> {
    const url = `${this.baseUrl.replace(/\/+$/, '')}/campaigns?external_id=${encodeURIComponent(externalId)}`;
    for (let attempt = 1; ; attempt++) {
      let res: Response | undefined;
      try {
        res = await this.fetchImpl(url, { headers: { authorization: `Bearer ${this.token}`, accept: 'application/json' }, signal: AbortSignal.any([signal, AbortSignal.timeout(15_000)]) });
      } catch (err) {
        signal.throwIfAborted();
        if (attempt >= 3) throw new ProductOsError('unavailable', `Missinglettr did not answer a look-up of the campaign with external id ${externalId} (${causeOf(err)})`, undefined, { retryable: true });
      }
      if (res) {
        const text = await res.text().catch(() => '');
        if (res.status === 200) {
          const list = (parseJson(text) as { campaigns?: unknown[] } | null)?.campaigns;
          if (!Array.isArray(list)) throw new ProductOsError('executor_failed', 'Missinglettr answered the campaign look-up without a campaigns list');
          const found = list.map(campaignOf).find((c) => c && c.raw.external_id === externalId);
          return found ?? null;
        }
        if (res.status === 401 || res.status === 403) throw new ProductOsError('unauthorized', `Missinglettr refused the token (${res.status}) on a campaign look-up: store a current token and try again`);
        if (!(res.status === 429 || res.status >= 500) || attempt >= 3) {
          throw new ProductOsError('unavailable', `Missinglettr answered ${res.status} to a look-up of the campaign with external id ${externalId}`, undefined, { retryable: true });
        }
      }
      await sleep(250 * 2 ** attempt, signal);
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function campaignOf(v: unknown): ProviderCampaign | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  const id = typeof o.id === 'string' || typeof o.id === 'number' ? String(o.id) : null;
  if (!id) return null;
  const reason = typeof o.error === 'string' ? o.error : typeof o.reason === 'string' ? o.reason : undefined;
  return { id, status: typeof o.status === 'string' ? o.status : 'queued', ...(reason ? { reason } : {}), raw: o };
}

function messageOf(text: string): string {
  const v = parseJson(text) as { error?: unknown; message?: unknown } | null;
  const m = v && (typeof v.message === 'string' ? v.message : typeof v.error === 'string' ? v.error : typeof (v.error as { message?: unknown })?.message === 'string' ? (v.error as { message: string }).message : '');
  return (m || '').slice(0, 300);
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err as Error)?.name ?? String(err);
}
