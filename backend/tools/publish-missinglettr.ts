/**
 * marketing.publish_missinglettr: a campaign to Missinglettr, never twice.
 *
 * The publish is recorded (provider + idempotency key + a hash of the exact request) before
 * anything is sent. A call that finds an accepted record answers from it; one that finds a
 * record its owner left behind (a crash between request and record, a lost answer) first asks
 * Missinglettr for the campaign under that key (its `external_id`) and only posts when there is
 * none. Answers that leave it unknown whether the campaign was created (429, 5xx, no answer)
 * are retried the same way — look first, then post — a bounded number of times.
 *
 * marketing.preview_missinglettr is its dry run: the exact request a publish would send (token
 * named by its source, not shown) and what a publish with that key would do now.
 */
import { createHash } from 'node:crypto';
import type { LocalHandler } from '../executors/local';
import type { ExecutionContext } from '../executors/executor';
import { ProductOsError } from '../errors';
import { MissinglettrClient, type CampaignRequest, type ProviderCampaign } from '../marketing/missinglettr-client';
import type { TokenSource } from '../marketing/missinglettr-token';
import { CHANNEL_STYLES } from '../marketing/channel-limits';
import { claimPublish, getPublish, notePublishRequest, recordAccepted, recordRejected, type PublishAttempt } from '../store/publish-attempts';
import { UPSTREAM_LABELS } from '../../contracts/executor-protocol';
import type { PublishInput, PublishOutput, PublishPreview } from '../../contracts/tools/publish';
import { backoffDelay, sleep } from '../executors/retry-backoff';

const PROVIDER = 'missinglettr';
/** Requests per publish before an unknown outcome is reported (each after a look-up). */
const MAX_POSTS = 4;

export interface PublishDeps {
  baseUrl: () => string;
  token: () => TokenSource;
  fetch?: typeof fetch;
  /** First backoff between tries (tests shorten it). */
  backoffMs?: number;
}

export function publishHandlers(deps: PublishDeps): Array<[string, LocalHandler]> {
  return [
    ['marketing.publish_missinglettr', (input: PublishInput, ctx) => publish(deps, input, ctx)],
    ['marketing.preview_missinglettr', (input: PublishInput, ctx) => preview(deps, input, ctx)],
  ];
}

/** The key a publish is recorded under: the caller's, the control plane's, or this run's. */
function publishKey(input: PublishInput, ctx: ExecutionContext): string {
  return input.idempotency_key ?? ctx.run.labels[UPSTREAM_LABELS.idempotencyKey] ?? ctx.run.idempotencyKey ?? `run:${ctx.run.labels[UPSTREAM_LABELS.runId] ?? ctx.run.id}`;
}

/** The exact body Missinglettr receives. Schedule problems are refused here, before anything is recorded. */
function campaignRequest(input: PublishInput, key: string, now = Date.now()): CampaignRequest {
  const tz = input.schedule.timezone ?? 'UTC';
  if (!validTimeZone(tz)) throw new ProductOsError('invalid_input', `schedule.timezone "${tz}" is not an IANA time zone (e.g. UTC, Europe/Paris)`, { violations: [{ pointer: '/schedule/timezone', rule: 'timezone', message: 'not an IANA time zone' }] });
  if (input.schedule.mode === 'scheduled') {
    const at = input.schedule.start_time;
    if (!at) throw new ProductOsError('invalid_input', 'schedule.start_time is required when schedule.mode is scheduled', { violations: [{ pointer: '/schedule/start_time', rule: 'required', message: 'required when mode is scheduled' }] });
    const t = Date.parse(at);
    if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}T/.test(at)) throw new ProductOsError('invalid_input', `schedule.start_time "${at}" is not an ISO timestamp (e.g. 2026-12-01T09:00:00Z)`, { violations: [{ pointer: '/schedule/start_time', rule: 'format', message: 'not an ISO timestamp' }] });
    if (t <= now) throw new ProductOsError('invalid_input', `schedule.start_time ${at} is in the past: choose a later time, or mode "now"`, { violations: [{ pointer: '/schedule/start_time', rule: 'future', message: 'in the past' }] });
  } else if (input.schedule.start_time) {
    throw new ProductOsError('invalid_input', 'schedule.start_time is only for mode "scheduled"; remove it to publish now', { violations: [{ pointer: '/schedule/start_time', rule: 'mode', message: 'only with mode scheduled' }] });
  }
  input.campaign.posts.forEach((p, i) => {
    if (p.text.trim() === '') throw new ProductOsError('invalid_input', `campaign.posts[${i}].text is empty`, { violations: [{ pointer: `/campaign/posts/${i}/text`, rule: 'minLength', message: 'empty' }] });
  });
  return {
    name: input.campaign.name,
    external_id: key,
    posts: input.campaign.posts.map((p) => ({ channel: p.channel, text: p.text, ...(p.media_urls ? { media_urls: p.media_urls } : {}), ...(p.link_url ? { link_url: p.link_url } : {}) })),
    schedule: { mode: input.schedule.mode, ...(input.schedule.start_time ? { start_time: input.schedule.start_time } : {}), timezone: tz },
  };
}

function requestHash(body: CampaignRequest): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

async function publish(deps: PublishDeps, input: PublishInput, ctx: ExecutionContext): Promise<PublishOutput> {
  const key = publishKey(input, ctx);
  const body = campaignRequest(input, key);
  const token = await deps.token().get(ctx.signal);
  const client = new MissinglettrClient(deps.baseUrl(), token, deps.fetch);
  const claim = await claimPublish(ctx.db, { provider: PROVIDER, key, requestHash: requestHash(body), runId: ctx.run.id });
  if (claim.kind === 'different_request') {
    throw new ProductOsError('conflict', `idempotency key "${key}" was already used for a different campaign (recorded ${claim.attempt.createdAt}); use a new key for a different publish`, { idempotency_key: key, campaign_id: claim.attempt.campaignId });
  }
  if (claim.kind === 'in_progress') {
    throw new ProductOsError('conflict', `a publish with idempotency key "${key}" is in progress in run ${claim.attempt.runId}; wait for it to end (its result is then what this key answers)`, { idempotency_key: key, runId: claim.attempt.runId });
  }
  if (claim.kind === 'accepted') {
    await ctx.log('info', 'publish answered from the record of an earlier call with this idempotency key: nothing posted again', { campaign_id: claim.attempt.campaignId });
    return fromRecord(claim.attempt, key, { deduplicated: true });
  }
  await ctx.log('info', `publishing a campaign of ${body.posts.length} post(s) to Missinglettr (${body.schedule.mode})`, { idempotency_key: key, channels: body.posts.map((p) => p.channel) });
  if (claim.earlier) {
    // A record without an answer: a crash or a lost answer. Ask before posting again.
    const found = await client.findByExternalId(key, ctx.signal);
    if (found) {
      await ctx.log('warn', 'an earlier publish with this key reached Missinglettr but its answer was never recorded: reconciled from the provider, nothing posted again', { campaign_id: found.id });
      return accepted(ctx, key, found, { reconciled: true });
    }
  }
  let last = '';
  for (let attempt = 1; attempt <= MAX_POSTS; attempt++) {
    await notePublishRequest(ctx.db, PROVIDER, key);
    const outcome = await client.create(body, ctx.signal);
    if (outcome.kind === 'accepted') return accepted(ctx, key, outcome.campaign, attempt > 1 ? { reconciled: false } : {});
    if (outcome.kind === 'rejected') {
      const error = { code: 'invalid_input', message: `Missinglettr refused the campaign (${outcome.status}): ${outcome.message}; nothing was posted — fix the campaign and publish again` };
      await recordRejected(ctx.db, PROVIDER, key, error);
      throw new ProductOsError('invalid_input', error.message, { provider_status: outcome.status });
    }
    if (outcome.kind === 'unauthorized') {
      const error = { code: 'unauthorized', message: `Missinglettr refused the token from ${deps.token().describe()} (${outcome.status}${outcome.message ? `: ${outcome.message}` : ''}): it may have expired or been revoked; store a current token there and publish again — nothing was posted` };
      await recordRejected(ctx.db, PROVIDER, key, error);
      throw new ProductOsError('unauthorized', error.message);
    }
    last = outcome.detail;
    if (attempt === MAX_POSTS) break;
    const delay = outcome.retryAfterMs ?? backoffDelay(attempt, deps.backoffMs ?? 500, 8000);
    await ctx.log('warn', `Missinglettr: ${outcome.detail}; looking the campaign up, then trying again in ${delay} ms`, { try: attempt + 1, of: MAX_POSTS });
    await sleep(delay, ctx.signal);
    const found = await client.findByExternalId(key, ctx.signal);
    if (found) return accepted(ctx, key, found, { reconciled: true });
  }
  throw new ProductOsError(
    'unavailable',
    `Missinglettr did not confirm the campaign after ${MAX_POSTS} tries (last: ${last}); whether it was created is not known yet — publish again with idempotency_key "${key}": that call looks it up first and never posts it twice`,
    { idempotency_key: key },
  );
}

async function accepted(ctx: ExecutionContext, key: string, campaign: ProviderCampaign, flags: { reconciled?: boolean }): Promise<PublishOutput> {
  const response = redact(campaign.raw);
  await recordAccepted(ctx.db, PROVIDER, key, { campaignId: campaign.id, providerStatus: campaign.status, response });
  if (campaign.status === 'failed') throw failedAfterAccept(key, campaign.id, campaign.reason);
  return { provider: PROVIDER, campaign_id: campaign.id, status: statusOf(campaign.status), provider_response: response, idempotency_key: key, ...(flags.reconciled ? { reconciled: true } : {}) };
}

function fromRecord(a: PublishAttempt, key: string, flags: { deduplicated: true }): PublishOutput {
  if (a.providerStatus === 'failed') throw failedAfterAccept(key, a.campaignId ?? '?', (a.response as { error?: string; reason?: string } | null)?.error ?? (a.response as { reason?: string } | null)?.reason);
  return { provider: PROVIDER, campaign_id: a.campaignId ?? '', status: statusOf(a.providerStatus ?? 'queued'), ...(a.response && typeof a.response === 'object' ? { provider_response: a.response as Record<string, unknown> } : {}), idempotency_key: key, ...flags };
}

/** Accepted, then failed at the provider: said plainly, and a retry with the key says the same (it never re-posts). */
function failedAfterAccept(key: string, campaignId: string, reason: string | undefined): ProductOsError {
  return new ProductOsError(
    'executor_failed',
    `Missinglettr accepted the campaign (id ${campaignId}) but reports it failed${reason ? `: ${reason}` : ''}. Nothing more is posted under idempotency key "${key}"; check the campaign in Missinglettr, then publish again with a new idempotency_key`,
    { campaign_id: campaignId, provider_status: 'failed', idempotency_key: key },
  );
}

function statusOf(s: string): PublishOutput['status'] {
  return s === 'scheduled' || s === 'published' || s === 'failed' ? s : 'queued';
}

/** The provider's answer without anything that looks like a credential. */
function redact(raw: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).filter(([k]) => !/token|secret|password|authorization|api[_-]?key/i.test(k)));
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

async function preview(deps: PublishDeps, input: PublishInput, ctx: ExecutionContext): Promise<PublishPreview> {
  const callerKey = input.idempotency_key;
  // Without a key of its own, a publish is recorded under its run's id: shown as such.
  const key = callerKey ?? '<the publish run id>';
  const body = campaignRequest(input, key);
  const source = deps.token().describe();
  const warnings: string[] = [];
  if (source === 'not configured') warnings.push('no Missinglettr token is configured: a publish would fail (set PRODUCT_OS_MISSINGLETTR_TOKEN or MISSINGLETTR_API_TOKEN)');
  body.posts.forEach((p, i) => {
    const limit = CHANNEL_STYLES[p.channel as keyof typeof CHANNEL_STYLES]?.limit;
    if (limit && [...p.text].length > limit) warnings.push(`posts[${i}] (${p.channel}) has ${[...p.text].length} characters; ${p.channel} allows ${limit}`);
  });
  if (!callerKey) warnings.push('no idempotency_key: each publish run would be a new campaign; give one so a retried publish never posts twice');
  let would: PublishPreview['would'] = 'post';
  if (callerKey) {
    const existing = await getPublish(ctx.db, PROVIDER, callerKey);
    if (existing && existing.requestHash !== requestHash(body)) would = 'refuse_key_reused';
    else if (existing?.state === 'accepted') would = 'answer_from_record';
  }
  const line = MissinglettrClient.requestLine(deps.baseUrl());
  return {
    provider: PROVIDER,
    dry_run: true,
    request: { ...line, headers: { Authorization: `Bearer <token from ${source}>`, 'Idempotency-Key': key, 'Content-Type': 'application/json' }, body: body as unknown as Record<string, unknown> },
    would,
    token: source,
    warnings,
  };
}
