/**
 * How every Google client of this backend is built: the project from settings, credentials
 * from Application Default Credentials, and nothing else. Tests and private endpoints replace
 * the transport (REST fallback to a local server, a fixed-token auth client) through
 * `GcpOverrides`, given to createBackend; the code that calls the APIs is the same.
 */
import type { Settings as FirestoreSettings } from '@google-cloud/firestore';

/** What a gax-based client (Cloud Build, Cloud Run v2, Logging, Secret Manager) is constructed with. */
export interface GaxClientOptions {
  projectId?: string;
  fallback?: boolean;
  protocol?: 'http' | 'https';
  apiEndpoint?: string;
  port?: number;
  /** A google-auth-library client (each Google package pins its own copy, so it is typed loosely here and cast where a client is built). */
  authClient?: unknown;
}

export interface GcpOverrides {
  /** Options merged into every gax client (REST fallback at a local server in tests). */
  client?: GaxClientOptions;
  /** Settings merged into the Firestore client (an emulator's host and port in tests). */
  firestore?: FirestoreSettings;
  /** How often long-running operations are polled, and how long they may take (tests shorten both). */
  pollMs?: number;
  operationTimeoutMs?: number;
}

export function gaxOptions(project: string | undefined, overrides: GcpOverrides | undefined): GaxClientOptions {
  return { ...(project ? { projectId: project } : {}), ...(overrides?.client ?? {}) };
}
