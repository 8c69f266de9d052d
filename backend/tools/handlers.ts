import type { LocalHandler } from '../executors/local';
import { ping } from './system';
import { brandHandlers } from './brand';
import { LOCAL_BRAND_STORE } from '../store/brand-store';
import { archiveCard, createCard, moveCard, restoreCard, updateCard } from './cards';
import { channelPostsHandler } from './channel-posts';

/** Every in-process handler, by the name the registry's executor block uses. */
export const LOCAL_HANDLERS: ReadonlyMap<string, LocalHandler> = new Map<string, LocalHandler>([
  ['system.ping', ping],
  // The local store here; main.ts replaces these three when the brand store is Firestore.
  ...brandHandlers(LOCAL_BRAND_STORE),
  ['cards.create', createCard],
  ['cards.move', moveCard],
  ['cards.update', updateCard],
  ['cards.archive', archiveCard],
  ['cards.restore', restoreCard],
  // Reads the profile from the same store as the brand tools (main.ts swaps both for Firestore).
  ['marketing.generate_channel_posts', channelPostsHandler(LOCAL_BRAND_STORE.get)],
]);
