import type { LocalHandler } from '../executors/local';
import { ping } from './system';
import { getProfile, updateProfile } from './brand';

/** Every in-process handler, by the name the registry's executor block uses. */
export const LOCAL_HANDLERS: ReadonlyMap<string, LocalHandler> = new Map<string, LocalHandler>([
  ['system.ping', ping],
  ['brand.get_profile', getProfile],
  ['brand.update_profile', updateProfile],
]);
