import type Dockerode from 'dockerode';

/** The network every local service revision joins (created once, labelled as Product OS's). */
export const SERVICES_NETWORK = 'product-os-services';

/**
 * A user-defined bridge network for the services: ports are published from it on 127.0.0.1,
 * which also works where the engine runs without its default bridge (`--bridge=none`), and
 * services reach each other by container name, as Cloud Run services reach each other by URL.
 */
const known = new WeakSet<Dockerode>();

export async function ensureServicesNetwork(docker: Dockerode): Promise<string> {
  // Once seen by this client, not asked again (a network removed meanwhile fails the create, which says so).
  if (known.has(docker)) return SERVICES_NETWORK;
  const found = await docker.listNetworks({ filters: { name: [SERVICES_NETWORK] } });
  if (found.some((n) => n.Name === SERVICES_NETWORK)) {
    known.add(docker);
    return SERVICES_NETWORK;
  }
  try {
    await docker.createNetwork({ Name: SERVICES_NETWORK, Driver: 'bridge', CheckDuplicate: true, Labels: { 'product-os.network': 'services' } });
  } catch (err) {
    // Another backend created it meanwhile: fine.
    if (!/already exists/i.test((err as Error).message)) throw err;
  }
  known.add(docker);
  return SERVICES_NETWORK;
}
