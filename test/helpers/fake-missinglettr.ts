/**
 * The part of Missinglettr's API the publish adapter speaks (backend/marketing/missinglettr-
 * client.ts), on 127.0.0.1, with faults to order for the next POSTs. Like a provider that does
 * not dedupe on its own, every POST it accepts is a new campaign: not posting twice is the
 * adapter's job.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export type ProviderFault =
  | 'unavailable' // 503 before anything is created
  | 'accept-then-500' // created, then answered 500 (the answer is lost)
  | 'accept-then-hang' // created, then never answered (the caller crashes or gives up)
  | 'accept-failed' // created, answered 201 with status failed (it failed after accepting)
  | 'reject' // 422: refused outright
  | 'unauthorized'; // 401: the token is refused

export interface FakeCampaign {
  id: string;
  external_id: string;
  status: string;
  error?: string;
  body: Record<string, unknown>;
}

export interface FakeMissinglettr {
  url: string;
  token: string;
  plan: ProviderFault[];
  campaigns: FakeCampaign[];
  /** Every request: method, path, and the Authorization header it carried. */
  requests: Array<{ method: string; path: string; authorization?: string; idempotencyKey?: string }>;
  /** Resolves when the next campaign is created. */
  nextCreated(): Promise<FakeCampaign>;
  close(): Promise<void>;
}

export async function startFakeMissinglettr(token = 'ml-test-token-4f9c2e7a'): Promise<FakeMissinglettr> {
  let waiters: Array<(c: FakeCampaign) => void> = [];
  const hanging: http.ServerResponse[] = [];
  const fake = { token, plan: [] as ProviderFault[], campaigns: [] as FakeCampaign[], requests: [] as FakeMissinglettr['requests'] } as FakeMissinglettr;
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      fake.requests.push({ method: req.method ?? '', path: url.pathname + url.search, authorization: req.headers.authorization, idempotencyKey: req.headers['idempotency-key'] as string | undefined });
      if (req.headers.authorization !== `Bearer ${token}`) return send(res, 401, { error: 'invalid or expired API token' });
      if (req.method === 'GET' && url.pathname === '/campaigns') {
        const ext = url.searchParams.get('external_id');
        return send(res, 200, { campaigns: fake.campaigns.filter((c) => c.external_id === ext).map(({ body: _b, ...c }) => c) });
      }
      if (req.method !== 'POST' || url.pathname !== '/campaigns') return send(res, 404, { error: 'no such endpoint' });
      const fault = fake.plan.shift();
      if (fault === 'unavailable') return send(res, 503, { error: 'temporarily unavailable' });
      if (fault === 'unauthorized') return send(res, 401, { error: 'token expired' });
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return send(res, 400, { error: 'body is not JSON' });
      }
      if (fault === 'reject') return send(res, 422, { error: 'posts[0].text: too long for x' });
      const schedule = body.schedule as { mode?: string } | undefined;
      const campaign: FakeCampaign = {
        id: `cmp_${fake.campaigns.length + 1}`,
        external_id: String(body.external_id),
        status: fault === 'accept-failed' ? 'failed' : schedule?.mode === 'scheduled' ? 'scheduled' : 'queued',
        ...(fault === 'accept-failed' ? { error: 'the LinkedIn connection was revoked' } : {}),
        body,
      };
      fake.campaigns.push(campaign);
      for (const w of waiters) w(campaign);
      waiters = [];
      if (fault === 'accept-then-500') return send(res, 500, { error: 'internal error' });
      if (fault === 'accept-then-hang') {
        hanging.push(res);
        return;
      }
      const { body: _b, ...answer } = campaign;
      return send(res, 201, { ...answer, posts: (body.posts as unknown[]).length });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    nextCreated: () => new Promise<FakeCampaign>((resolve) => waiters.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of hanging) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
