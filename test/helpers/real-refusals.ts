import { DockerExecutor } from '../../backend/executors/docker-executor';
import { CardRunExecutor } from '../../backend/cards/card-run';
import { loadRegistry } from '../../registry/loader';

/**
 * What the real backend answers when a card is run with no local model configured: produced by
 * the card agent's own availability check (no engine or model is contacted for it), so the
 * panel tests' fakes cannot drift from the real message.
 */
export function cardsRunRefusal(): { code: 'not_implemented' | 'not_configured'; message: string } {
  const tool = loadRegistry().get('cards.run');
  if (!tool) throw new Error('cards.run is not in the registry');
  const a = new CardRunExecutor(new DockerExecutor(), { modelConfigured: false }).availability(tool);
  if (a.available) throw new Error('cards.run is available without a model: the tests that expect it refused need updating');
  return { code: a.code, message: a.reason };
}
