/** Sample data for the panel tests: a board of any size, runs, the registry's brand schema. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { BrandVersion, Card, Lane, LogLine, Run, RunEvent, ToolInfo } from '../../../contracts/rest';

export const LANES: Lane[] = [
  { id: 'backlog', name: 'Backlog', position: 1 },
  { id: 'ready', name: 'Ready', position: 2 },
  { id: 'in_progress', name: 'In progress', position: 3 },
  { id: 'review', name: 'Review', position: 4 },
  { id: 'done', name: 'Done', position: 5 },
];

const T0 = Date.parse('2025-01-01T10:00:00Z');
const iso = (offsetS: number) => new Date(T0 + offsetS * 1000).toISOString();

export function makeCards(n: number, lanes: Lane[] = LANES): Card[] {
  const cards: Card[] = [];
  for (let i = 1; i <= n; i++) {
    const lane = lanes[(i - 1) % lanes.length].id;
    cards.push({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      key: `PO-${i}`,
      title: `Card number ${i}: ${['Onboarding email', 'Pricing page copy', 'Fix signup bug', 'Funnel dashboard', 'Landing hero'][i % 5]}`,
      description: `Description of card ${i}.`,
      lane,
      position: Math.ceil(i / lanes.length),
      labels: i % 3 === 0 ? ['growth'] : i % 3 === 1 ? ['bug', 'p1'] : [],
      priority: (['none', 'low', 'medium', 'high', 'urgent'] as const)[i % 5],
      archived: false,
      version: 1,
      createdAt: iso(i),
      updatedAt: iso(i),
    });
  }
  return cards;
}

let runSeq = 0;
export function makeRun(over: Partial<Run> = {}): Run {
  runSeq++;
  const id = over.id ?? `10000000-0000-4000-8000-${String(runSeq).padStart(12, '0')}`;
  return {
    id,
    tool: 'system.ping',
    status: 'succeeded',
    risk: 'low',
    input: { message: 'hello' },
    output: { message: 'hello' },
    labels: {},
    priority: 0,
    caller: 'api:vscode',
    idempotencyKey: null,
    correlationId: null,
    traceId: '0123456789abcdef0123456789abcdef',
    version: 3,
    attempt: 1,
    maxAttempts: 1,
    createdAt: iso(1000 + runSeq),
    updatedAt: iso(1001 + runSeq),
    startedAt: iso(1000 + runSeq),
    finishedAt: over.status && ['queued', 'awaiting_approval', 'running', 'dispatching'].includes(over.status) ? null : iso(1001 + runSeq),
    ...over,
  };
}

export function makeEvents(run: Run): RunEvent[] {
  return [
    { id: 1, runId: run.id, type: 'state', data: { from: null, to: 'queued' }, createdAt: run.createdAt },
    { id: 2, runId: run.id, type: 'state', data: { from: 'queued', to: run.status === 'awaiting_approval' ? 'awaiting_approval' : 'running' }, createdAt: run.createdAt },
  ];
}

export function makeLog(runId: string | null, id: number, message: string): LogLine {
  return { id, ts: iso(2000 + id), level: 'info', source: 'worker', runId, message, fields: {} };
}

const registry = parse(readFileSync(join(__dirname, '..', '..', '..', 'registry', 'tool-registry.yaml'), 'utf8')) as { tools: Record<string, { title: string; description: string; module: string; risk: string; executor: { kind: string }; inputSchema: unknown; outputSchema: unknown }> };

/** The registry's tools as GET /api/tools lists them; `unavailable` names the ones not available. */
export function toolList(unavailable: (name: string) => boolean): ToolInfo[] {
  return Object.entries(registry.tools).map(([name, t]) => ({
    name,
    title: t.title,
    description: t.description,
    module: t.module,
    risk: t.risk,
    executor: t.executor.kind,
    available: !unavailable(name),
    ...(unavailable(name) ? { unavailableReason: `${name} runs on the ${t.executor.kind} executor, which is not implemented yet` } : {}),
    inputSchema: t.inputSchema,
    outputSchema: t.outputSchema,
  }));
}

/** The brand profile schema: the `brand` property of brand.get_profile's output schema. */
export const brandSchema = (registry.tools['brand.get_profile'].outputSchema as { properties: { brand: unknown } }).properties.brand;

export const sampleProfile = {
  name: 'Acme Analytics',
  voice: { tone: ['friendly', 'precise'], style_notes: ['Short sentences.'], do: ['Use numbers'], dont: ['Hype'] },
  audience: { primary: 'Solo founders', secondary: 'Small product teams' },
  claims_policy: { forbidden_claims: ['guaranteed growth'], required_disclaimers: [], compliance_notes: ['No medical claims'] },
};

export function brandVersions(): BrandVersion[] {
  const v1 = { ...sampleProfile, voice: { ...sampleProfile.voice, tone: ['friendly'] } };
  return [
    { profileId: 'default', version: 2, brand: sampleProfile, changedBy: 'api:vscode', runId: null, createdAt: iso(500) },
    { profileId: 'default', version: 1, brand: v1, changedBy: 'api:cli', runId: null, createdAt: iso(100) },
  ];
}
