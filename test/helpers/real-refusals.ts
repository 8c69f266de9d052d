import { DockerExecutor } from '../../backend/executors/docker-executor';
import { loadRegistry } from '../../registry/loader';

/**
 * What the real backend answers when a card is run while cards.run's worker task is still
 * pending: produced by the Docker executor's own availability check (no engine is contacted
 * for it), so the panel tests' fakes cannot drift from the real message.
 */
export function cardsRunRefusal(): { code: 'not_implemented' | 'not_configured'; message: string } {
  const tool = loadRegistry().get('cards.run');
  if (!tool) throw new Error('cards.run is not in the registry');
  const a = new DockerExecutor().availability(tool);
  if (a.available) throw new Error('cards.run is available now: the tests that expect it refused need updating');
  return { code: a.code, message: a.reason };
}
