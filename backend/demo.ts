import { LOCAL_BRAND_STORE } from './store/brand-store';
import type { Backend } from './main';
import { seedDemoEvents } from './analytics/seed-demo-events';
import { listCards } from './store/cards';
import type { Card } from '../contracts/rest';

/** What `product-os demo` puts in a data folder: a small board, a brand profile and three months of product events. */
export const DEMO_BRAND = {
  name: 'Lumen Notes',
  voice: {
    tone: ['clear', 'warm', 'confident'],
    style_notes: ['Short sentences.', 'Lead with what the user gets.'],
    do: ['Use concrete numbers from real usage', 'Say "you" more than "we"'],
    dont: ['Superlatives we cannot prove', 'Jargon like "synergy"'],
  },
  audience: { primary: 'Solo founders who write product notes daily', secondary: 'Small product teams' },
  claims_policy: {
    forbidden_claims: ['#1 note app', 'guaranteed productivity gains'],
    required_disclaimers: ['Prices exclude VAT.'],
    compliance_notes: ['Testimonials need written consent on file.'],
  },
};

const DEMO_CARDS: Array<{ title: string; lane: string; description: string; labels: string[] }> = [
  { title: 'Onboarding checklist drops users at step 3', lane: 'backlog', description: 'Funnel shows a 40% drop between "created note" and "invited teammate".', labels: ['growth'] },
  { title: 'Add CSV export to the insights page', lane: 'backlog', description: 'Users ask for raw numbers to paste into decks.', labels: ['feature'] },
  { title: 'Rewrite pricing page copy in brand voice', lane: 'ready', description: 'Follow the Company Brain: no superlatives, lead with outcomes.', labels: ['marketing'] },
  { title: 'Fix flaky sync test on CI', lane: 'ready', description: 'tests/sync.test.ts fails about once in ten runs.', labels: ['bug'] },
  { title: 'Triage error spike after the 1.4 deploy', lane: 'in_progress', description: 'Log triage flagged a new template in the API logs.', labels: ['ops'] },
  { title: 'Weekly retention email', lane: 'review', description: 'Draft is ready for review.', labels: ['marketing'] },
  { title: 'Set up Cloud Run staging service', lane: 'done', description: 'Deployed and health-checked.', labels: ['infra'] },
];

/**
 * Idempotent: an existing board or profile is left as it is. Cards and the profile are written
 * through the engine, as every write is: each is a run of the demo (caller "cli:demo").
 */
export async function seedDemo(backend: Backend): Promise<{ cards: number; brand: 'created' | 'kept'; events: Awaited<ReturnType<typeof seedDemoEvents>> }> {
  const result = await seedBoardAndBrand(backend);
  // The product's events: what the Insights panel and the analytics tools read.
  return { ...result, events: await seedDemoEvents(await backend.analytics.warehouse()) };
}

async function seedBoardAndBrand(backend: Backend): Promise<{ cards: number; brand: 'created' | 'kept' }> {
  const { db, engine } = backend;
  const run = async (tool: string, input: Record<string, unknown>, what: string): Promise<void> => {
    const { run: submitted } = await engine.submit({ tool, input, caller: 'cli:demo' });
    const done = await engine.waitForTerminal(submitted.id);
    if (done.status !== 'succeeded') throw new Error(`could not save the demo ${what}: ${done.error?.message ?? done.status}`);
  };
  let cards = (await listCards(db)).length;
  if (cards === 0) {
    for (const c of DEMO_CARDS) {
      await run('cards.create', { title: c.title, description: c.description, labels: c.labels, lane: c.lane }, `card "${c.title}"`);
      cards += 1;
    }
  }
  // Asked of the configured brand store (local or Firestore), as brand.get_profile would.
  if (await (backend.context.brands ?? LOCAL_BRAND_STORE).get(db, 'default')) return { cards, brand: 'kept' };
  await run('brand.update_profile', { profile_id: 'default', patch: DEMO_BRAND }, 'brand profile');
  return { cards, brand: 'created' };
}
