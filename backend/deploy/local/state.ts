import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DeployOptions } from '../target';

export type RevisionState = 'deploying' | 'ready' | 'error' | 'retired';

/** One revision: an image, and the container that runs it (kept stopped when retired, for rollback and its logs). */
export interface RevisionRecord {
  name: string;
  image: string;
  ref?: string;
  commit?: string;
  created_at: string;
  status: RevisionState;
  message?: string;
  containerId?: string;
  envVars: Record<string, string>;
  /** Secret references by variable name (never values). */
  secretEnv: Record<string, string>;
  deploy: DeployOptions;
  labels: Record<string, string>;
}

export interface ServiceRecord {
  name: string;
  region: string;
  /** The stable loopback port of the service URL. */
  port: number;
  /** The revision serving all traffic, null before the first healthy deploy. */
  serving: string | null;
  /** Traffic was pinned by a rollback (the next deploy moves it back to the latest). */
  pinned: boolean;
  last_deploy_time?: string;
  /** Oldest first. */
  revisions: RevisionRecord[];
}

/**
 * The local target's record of services and revisions: one JSON file in the data folder,
 * written whole to a temporary file and renamed, so a crash leaves the old or the new state,
 * never half of one. Docker holds the images and containers; this holds what they mean.
 */
export class LocalDeployState {
  private readonly file: string;
  private services: ServiceRecord[];

  constructor(dir: string) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.file = path.join(dir, 'services.json');
    this.services = fs.existsSync(this.file) ? (JSON.parse(fs.readFileSync(this.file, 'utf8')) as { services: ServiceRecord[] }).services : [];
  }

  all(): readonly ServiceRecord[] {
    return this.services;
  }

  find(name: string, region: string): ServiceRecord | undefined {
    return this.services.find((s) => s.name === name && s.region === region);
  }

  add(service: ServiceRecord): void {
    this.services.push(service);
    this.save();
  }

  remove(service: ServiceRecord): void {
    this.services = this.services.filter((s) => s !== service);
    this.save();
  }

  /** Applies `fn` to the service and writes the file. */
  update(service: ServiceRecord, fn: (s: ServiceRecord) => void): void {
    fn(service);
    this.save();
  }

  private save(): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ version: 1, services: this.services }, null, 1), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }
}
