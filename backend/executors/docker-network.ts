import type Dockerode from 'dockerode';
import { ProductOsError } from '../errors';

/** The internal network workers that need the local LLM join: no route off this host. */
export const LLM_NETWORK = 'product-os-llm';

/** Creates the internal network when missing; refuses one of that name that is not internal. */
export async function ensureInternalNetwork(docker: Dockerode, name: string): Promise<string> {
  try {
    const info = (await docker.getNetwork(name).inspect()) as { Internal?: boolean };
    if (!info.Internal) throw new ProductOsError('not_configured', `Docker network ${name} exists but is not internal (it could reach outside networks); remove it and let Product OS create it`, { network: name });
    return name;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
  try {
    await docker.createNetwork({ Name: name, Driver: 'bridge', Internal: true, CheckDuplicate: true, Labels: { 'product-os.network': 'llm' } });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 409) throw err; // created meanwhile
  }
  return name;
}
