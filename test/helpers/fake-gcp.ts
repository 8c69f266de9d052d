/**
 * A local server that speaks the part of Google's REST APIs the backend uses — Secret
 * Manager (access), Cloud Build (create, get, cancel), Cloud Run v2 (services and revisions:
 * get, create, patch, list), Cloud Logging (entries:list) — for the Node clients in REST
 * fallback mode. State lives in memory; scenarios are chosen by what a test sends (a ref, an
 * image) or by `failNext`. It checks the bearer token on every call, so an expired token is a
 * 401 as it is at Google.
 */
import * as http from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface FakeGcpOptions {
  project: string;
  /** The token a request must carry (Authorization: Bearer …). */
  token: string;
}

interface FakeRevision {
  name: string; // short
  image: string;
  env: unknown[];
  createTime: string;
  /** Polls left before it settles; Infinity: never. */
  pending: number;
  outcome: 'ready' | 'failed';
}

interface FakeService {
  name: string; // full
  region: string;
  short: string;
  generation: number;
  observedGeneration: number;
  labels: Record<string, string>;
  template: Record<string, unknown>;
  traffic: Array<{ type: string | number; revision?: string; percent: number }>;
  invokerIamDisabled?: boolean;
  revisions: FakeRevision[];
  latestReady?: string;
  latestCreated?: string;
  failedMessage?: string;
  updateTime: string;
  /** A traffic change waiting one poll before it shows. */
  pendingTraffic: number;
}

interface FakeBuild {
  id: string;
  project: string;
  region: string;
  ref: string;
  images: string[];
  polls: number;
  outcome: 'SUCCESS' | 'FAILURE' | 'FETCH' | 'NEVER';
  cancelled: boolean;
}

export interface LogEntry {
  service: string;
  revision: string;
  timestamp: string;
  severity: string;
  text: string;
}

export interface RecordedCall {
  method: string;
  path: string;
  body: unknown;
}

export class FakeGcp {
  private server: http.Server | null = null;
  readonly calls: RecordedCall[] = [];
  readonly secrets = new Map<string, string>();
  readonly services = new Map<string, FakeService>();
  readonly builds = new Map<string, FakeBuild>();
  readonly logs: LogEntry[] = [];
  private failures: Array<{ match: RegExp; status: number; grpc: string; message: string }> = [];
  private seq = 0;
  port = 0;
  /** Polls a revision stays "reconciling" before it settles. */
  rolloutPolls = 1;
  buildPolls = 1;

  constructor(private readonly opts: FakeGcpOptions) {}

  async start(): Promise<number> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server?.closeAllConnections?.();
  }

  /** The next call whose "METHOD path" matches gets this error (Google's JSON error body). */
  failNext(match: RegExp, status: number, grpc: string, message: string): void {
    this.failures.push({ match, status, grpc, message });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname);
    const body = text ? (JSON.parse(text) as unknown) : undefined;
    this.calls.push({ method: req.method ?? '', path, body });
    const send = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    const error = (status: number, grpc: string, message: string) => send(status, { error: { code: status, message, status: grpc } });
    if (req.headers.authorization !== `Bearer ${this.opts.token}`) {
      return error(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
    }
    const key = `${req.method} ${path}`;
    const f = this.failures.findIndex((x) => x.match.test(key));
    if (f >= 0) {
      const [x] = this.failures.splice(f, 1);
      return error(x.status, x.grpc, x.message);
    }
    try {
      const out = this.route(req.method ?? 'GET', path, url.searchParams, body);
      if (out === undefined) return error(404, 'NOT_FOUND', `fake-gcp: no route for ${key}`);
      if ('error' in (out as object)) {
        const e = (out as { error: { status: number; grpc: string; message: string } }).error;
        return error(e.status, e.grpc, e.message);
      }
      send(200, out);
    } catch (err) {
      error(500, 'INTERNAL', (err as Error).message);
    }
  }

  private route(method: string, path: string, query: URLSearchParams, body: unknown): unknown {
    let m: RegExpExecArray | null;
    const notFound = (what: string) => ({ error: { status: 404, grpc: 'NOT_FOUND', message: what } });
    // Secret Manager
    if (method === 'GET' && (m = /^\/v1\/projects\/([^/]+)\/secrets\/([^/]+)\/versions\/([^/:]+):access$/.exec(path))) {
      const value = this.secrets.get(`${m[1]}/${m[2]}`);
      if (value === undefined) return notFound(`Secret [projects/${m[1]}/secrets/${m[2]}] not found or has no versions.`);
      return { name: `projects/${m[1]}/secrets/${m[2]}/versions/1`, payload: { data: Buffer.from(value).toString('base64') } };
    }
    // Cloud Build
    if (method === 'POST' && (m = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/builds$/.exec(path))) {
      const b = body as { source?: { gitSource?: { revision?: string } }; images?: string[] };
      const id = `build-${++this.seq}`;
      const ref = b.source?.gitSource?.revision ?? '';
      const outcome = ref.startsWith('missing') ? 'FETCH' : ref.startsWith('broken-dockerfile') ? 'FAILURE' : ref.startsWith('slow-build') ? 'NEVER' : 'SUCCESS';
      this.builds.set(id, { id, project: m[1], region: m[2], ref, images: b.images ?? [], polls: 0, outcome, cancelled: false });
      return {
        name: `projects/${m[1]}/locations/${m[2]}/operations/op-${id}`,
        metadata: { '@type': 'type.googleapis.com/google.devtools.cloudbuild.v1.BuildOperationMetadata', build: { id, status: 'QUEUED' } },
      };
    }
    if ((m = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/builds\/([^/:]+)(:cancel)?$/.exec(path))) {
      const b = this.builds.get(m[3]);
      if (!b) return notFound(`build ${m[3]} not found`);
      if (m[4]) {
        b.cancelled = true;
        return this.buildJson(b);
      }
      b.polls += 1;
      return this.buildJson(b);
    }
    // Cloud Run v2
    if ((m = /^\/v2\/projects\/([^/]+)\/locations\/([^/]+)\/services$/.exec(path))) {
      if (method === 'GET') return { services: [...this.services.values()].filter((s) => s.region === m![2]).map((s) => this.serviceJson(s)) };
      if (method === 'POST') {
        const id = query.get('serviceId') ?? '';
        const name = `projects/${m[1]}/locations/${m[2]}/services/${id}`;
        if (this.services.has(name)) return { error: { status: 409, grpc: 'ALREADY_EXISTS', message: `Resource '${id}' already exists.` } };
        const b = body as Partial<FakeService>;
        const s: FakeService = { name, region: m[2], short: id, generation: 0, observedGeneration: 0, labels: b.labels ?? {}, template: {}, traffic: b.traffic ?? [], revisions: [], updateTime: new Date().toISOString(), pendingTraffic: 0, invokerIamDisabled: b.invokerIamDisabled };
        this.services.set(name, s);
        this.applyTemplate(s, (b as { template: Record<string, unknown> }).template);
        return { name: `projects/${m[1]}/locations/${m[2]}/operations/op-${++this.seq}`, done: false };
      }
    }
    if ((m = /^\/v2\/(projects\/[^/]+\/locations\/[^/]+\/services\/[^/]+)$/.exec(path))) {
      const s = this.services.get(m[1]);
      if (method === 'GET') {
        if (!s) return notFound(`Resource '${m[1].split('/').pop()}' of kind 'SERVICE' in region '${m[1].split('/')[3]}' in project '${this.opts.project}' does not exist.`);
        this.tick(s);
        return this.serviceJson(s);
      }
      if (method === 'PATCH') {
        if (!s) return notFound('service not found');
        const b = body as { template?: Record<string, unknown>; traffic?: FakeService['traffic']; labels?: Record<string, string> };
        s.labels = b.labels ?? s.labels;
        const trafficChanged = JSON.stringify(b.traffic ?? []) !== JSON.stringify(s.traffic);
        s.traffic = b.traffic ?? [];
        if (templateKey(b.template) !== templateKey(s.template)) this.applyTemplate(s, b.template ?? {});
        else {
          s.generation += 1;
          if (trafficChanged) s.pendingTraffic = 1;
        }
        return { name: `${m[1].replace(/services\/.*/, '')}operations/op-${++this.seq}`, done: false };
      }
    }
    if (method === 'GET' && (m = /^\/v2\/(projects\/[^/]+\/locations\/[^/]+\/services\/[^/]+)\/revisions$/.exec(path))) {
      const s = this.services.get(m[1]);
      if (!s) return notFound('service not found');
      return { revisions: s.revisions.map((r) => this.revisionJson(s, r)) };
    }
    // Cloud Logging
    if (method === 'POST' && path === '/v2/entries:list') {
      const b = body as { filter?: string; pageSize?: number; orderBy?: string };
      const filter = b.filter ?? '';
      const svc = /service_name="([^"]+)"/.exec(filter)?.[1];
      const rev = /revision_name="([^"]+)"/.exec(filter)?.[1];
      const since = /timestamp>="([^"]+)"/.exec(filter)?.[1];
      let out = this.logs.filter((l) => (!svc || l.service === svc) && (!rev || l.revision === rev) && (!since || l.timestamp >= since));
      out = out.sort((a, c) => (b.orderBy?.includes('desc') ? c.timestamp.localeCompare(a.timestamp) : a.timestamp.localeCompare(c.timestamp))).slice(0, b.pageSize ?? 50);
      return {
        entries: out.map((l) => ({
          logName: `projects/${this.opts.project}/logs/run.googleapis.com%2Fstdout`,
          resource: { type: 'cloud_run_revision', labels: { service_name: l.service, revision_name: l.revision } },
          timestamp: l.timestamp,
          severity: l.severity,
          textPayload: l.text,
        })),
      };
    }
    return undefined;
  }

  private buildJson(b: FakeBuild): unknown {
    const done = b.polls > this.buildPolls;
    const status = b.cancelled ? 'CANCELLED' : !done || b.outcome === 'NEVER' ? 'WORKING' : b.outcome === 'SUCCESS' ? 'SUCCESS' : 'FAILURE';
    return {
      id: b.id,
      name: `projects/${b.project}/locations/${b.region}/builds/${b.id}`,
      status,
      logUrl: `https://console.cloud.google.com/cloud-build/builds;region=${b.region}/${b.id}?project=${b.project}`,
      steps: [{ id: 'docker-build', name: 'gcr.io/cloud-builders/docker', status: status === 'WORKING' ? 'WORKING' : status }],
      ...(status === 'FAILURE' && b.outcome === 'FETCH' ? { failureInfo: { type: 'FETCH_SOURCE_FAILED', detail: `fatal: couldn't find remote ref ${b.ref}` }, statusDetail: 'failed to fetch source' } : {}),
      ...(status === 'FAILURE' && b.outcome === 'FAILURE' ? { failureInfo: { type: 'USER_BUILD_STEP', detail: 'Build step failure: build step 0 "gcr.io/cloud-builders/docker" failed: step exited with non-zero status: 1' } } : {}),
      ...(status === 'SUCCESS' ? { results: { images: b.images.map((name) => ({ name, digest: `sha256:${createHash('sha256').update(b.id).digest('hex')}` })) } } : {}),
    };
  }

  private applyTemplate(s: FakeService, template: Record<string, unknown>): void {
    s.template = template;
    s.generation += 1;
    const container = ((template.containers as Array<{ image?: string; env?: unknown[] }>) ?? [])[0] ?? {};
    const n = s.revisions.length + 1;
    const rev: FakeRevision = {
      name: `${s.short}-${String(n).padStart(5, '0')}-${'abc'.slice(0, 3)}`,
      image: container.image ?? '',
      env: container.env ?? [],
      createTime: new Date(Date.now() + n).toISOString(),
      pending: /never-ready/.test(container.image ?? '') ? Infinity : this.rolloutPolls,
      outcome: /broken/.test(container.image ?? '') ? 'failed' : 'ready',
    };
    s.revisions.unshift(rev);
    s.latestCreated = rev.name;
    s.updateTime = new Date().toISOString();
  }

  /** Each read of a service moves its rollout one step. */
  private tick(s: FakeService): void {
    const rev = s.revisions.find((r) => r.name === s.latestCreated);
    if (s.pendingTraffic > 0) {
      s.pendingTraffic -= 1;
      return;
    }
    if (rev && rev.pending > 0) {
      rev.pending -= 1;
      return;
    }
    if (rev && rev.pending === 0) {
      if (rev.outcome === 'ready') {
        s.latestReady = rev.name;
        s.failedMessage = undefined;
      } else s.failedMessage = `Revision '${rev.name}' is not ready and cannot serve traffic. The user-provided container failed to start and listen on the port defined provided by the PORT=8080 environment variable.`;
      rev.pending = -1;
    }
    s.observedGeneration = s.generation;
  }

  private reconciling(s: FakeService): boolean {
    return s.observedGeneration < s.generation;
  }

  private serviceJson(s: FakeService): unknown {
    const reconciling = this.reconciling(s);
    const latestType = (t: { type: string | number }) => t.type === 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST' || t.type === 1;
    return {
      name: s.name,
      uri: `https://${s.short}-abc123-uc.a.run.app`,
      generation: String(s.generation),
      observedGeneration: String(s.observedGeneration),
      labels: s.labels,
      template: s.template,
      traffic: s.traffic,
      invokerIamDisabled: s.invokerIamDisabled ?? false,
      reconciling,
      updateTime: s.updateTime,
      latestCreatedRevision: s.latestCreated ? `${s.name}/revisions/${s.latestCreated}` : '',
      latestReadyRevision: s.latestReady ? `${s.name}/revisions/${s.latestReady}` : '',
      terminalCondition: reconciling
        ? { type: 'Ready', state: 'CONDITION_RECONCILING', message: 'Deploying revision.' }
        : s.failedMessage
          ? { type: 'Ready', state: 'CONDITION_FAILED', message: s.failedMessage }
          : { type: 'Ready', state: 'CONDITION_SUCCEEDED' },
      trafficStatuses: reconciling
        ? []
        : s.traffic.map((t) => (latestType(t) ? { type: t.type, percent: t.percent, revision: s.latestReady ?? '' } : { type: t.type, percent: t.percent, revision: t.revision })),
    };
  }

  private revisionJson(s: FakeService, r: FakeRevision): unknown {
    const state = r.pending > 0 ? 'CONDITION_RECONCILING' : r.outcome === 'ready' ? 'CONDITION_SUCCEEDED' : 'CONDITION_FAILED';
    return {
      name: `${s.name}/revisions/${r.name}`,
      createTime: r.createTime,
      reconciling: r.pending > 0,
      containers: [{ image: r.image, env: r.env }],
      conditions: [{ type: 'Ready', state, ...(state === 'CONDITION_FAILED' ? { message: 'Container failed to start.' } : {}) }],
    };
  }
}

/** What makes a new revision (as at Cloud Run: a change of the template, not of its encoding). */
function templateKey(t: Record<string, unknown> | undefined): string {
  const c = ((t?.containers as Array<{ image?: string; env?: Array<{ name?: string; value?: string }> }>) ?? [])[0];
  const labels = Object.entries((t?.labels as Record<string, string>) ?? {}).sort();
  return JSON.stringify({ image: c?.image, env: (c?.env ?? []).map((e) => [e.name, e.value ?? null]), labels });
}
