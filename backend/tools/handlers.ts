import type { LocalHandler } from '../executors/local';
import { ping } from './system';
import { getProfile, updateProfile } from './brand';
import { revertProfile } from './brand-revert';
import { archiveCard, createCard, moveCard, restoreCard, updateCard } from './cards';

/** Every in-process handler, by the name the registry's executor block uses. */
export const LOCAL_HANDLERS: ReadonlyMap<string, LocalHandler> = new Map<string, LocalHandler>([
  ['system.ping', ping],
  ['brand.get_profile', getProfile],
  ['brand.update_profile', updateProfile],
  ['brand.revert_profile', revertProfile],
  ['cards.create', createCard],
  ['cards.move', moveCard],
  ['cards.update', updateCard],
  ['cards.archive', archiveCard],
  ['cards.restore', restoreCard],
]);
