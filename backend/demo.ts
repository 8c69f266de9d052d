import type { Backend } from './main';
import { listCards } from './store/cards';
import type { Card } from '../contracts/rest';

/** What `product-os demo` puts in a data folder: a small board and a brand profile. */
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

/** Idempotent: an existing board or profile is left as it is. Every write is a run, as a user's would be. */
export async function seedDemo(backend: Backend): Promise<{ cards: number; brand: 'created' | 'kept' }> {
  const { db, engine } = backend;
  const call = async (tool: string, input: Record<string, unknown>): Promise<unknown> => {
    const { run } = await engine.submit({ tool, input, caller: 'cli:demo' });
    const done = await engine.waitForTerminal(run.id);
    if (done.status !== 'succeeded') throw new Error(`demo: ${tool} ended ${done.status}: ${done.error?.message ?? ''}`);
    return done.output;
  };
  let cards = (await listCards(db)).length;
  if (cards === 0) {
    for (const c of DEMO_CARDS) {
      const { card } = (await call('cards.create', { title: c.title, description: c.description, labels: c.labels })) as { card: Card };
      if (c.lane !== 'backlog') await call('cards.move', { card_key: card.key, if_version: card.version, lane: c.lane });
      cards += 1;
    }
  }
  const existing = await db.query('SELECT 1 FROM brand_profiles WHERE profile_id = $1', ['default']);
  if (existing.length > 0) return { cards, brand: 'kept' };
  await call('brand.update_profile', { profile_id: 'default', patch: DEMO_BRAND });
  return { cards, brand: 'created' };
}
