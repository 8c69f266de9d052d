/**
 * What /config/validate says about Google Cloud and secrets: which features use Google Cloud
 * and where (project, region, repository, Firestore database), whether credentials can be
 * found without asking the network, and which editor secrets were handed over, by name only.
 * No value is ever part of it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Config, Env, SettingReport } from '../config';
import { imagePath } from './gcp-settings';

export function gcpReport(config: Config, env: Env): SettingReport | null {
  const uses: string[] = [];
  if (config.deployTarget === 'gcp') {
    const repo = config.gcp.repository;
    uses.push(`deploys (Cloud Build → Cloud Run, default region ${config.gcp.region}${repo && config.gcpProject ? `, images in ${imagePath(repo, config.gcpProject, config.gcp.region, '').replace(/\/$/, '')}` : ''}; logs from Cloud Logging)`);
  }
  if (config.gcp.brandStore === 'firestore') uses.push(`the Company Brain (Firestore database ${config.gcp.firestoreDatabase})`);
  if (uses.length === 0) return null;
  const base = { name: 'google cloud', required: true, value: config.gcpProject ?? '(no project)' };
  if (!config.gcpProject) return { ...base, status: 'invalid', message: `Google Cloud is used for ${uses.join(' and ')}, but GOOGLE_CLOUD_PROJECT is not set` };
  const creds = credentialSource(env);
  const what = `project ${config.gcpProject} is used for ${uses.join(' and ')}`;
  return creds
    ? { ...base, status: 'ok', message: `${what}; credentials: ${creds}` }
    : {
        ...base,
        status: 'missing',
        message: `${what}; no credentials file found (GOOGLE_APPLICATION_CREDENTIALS, or gcloud auth application-default login): calls will fail unless the backend runs on Google Cloud, where the metadata server provides them`,
      };
}

/** Where Application Default Credentials would come from, looking only at files. */
function credentialSource(env: Env): string | null {
  if (env.GOOGLE_APPLICATION_CREDENTIALS) {
    return fs.existsSync(env.GOOGLE_APPLICATION_CREDENTIALS) ? `GOOGLE_APPLICATION_CREDENTIALS (${path.basename(env.GOOGLE_APPLICATION_CREDENTIALS)})` : null;
  }
  const dir = env.CLOUDSDK_CONFIG ?? path.join(env.HOME ?? os.homedir(), '.config', 'gcloud');
  return fs.existsSync(path.join(dir, 'application_default_credentials.json')) ? 'gcloud application-default login' : null;
}

/** Editor secrets by name; how sm:// references are read. */
export function secretsReport(editorSecretNames: string[]): SettingReport {
  return {
    name: 'secrets',
    status: 'ok',
    required: false,
    value: editorSecretNames.length > 0 ? editorSecretNames.map((n) => `editor://${n}`).join(', ') : 'none',
    message:
      (editorSecretNames.length > 0 ? `${editorSecretNames.length} editor secret(s) handed over by the editor (names only here; values stay in memory)` : 'no editor secrets handed over (Product OS: Store Secret… adds one)') +
      '; sm://PROJECT/NAME[/VERSION] references are read from Secret Manager with the backend\'s Google credentials when used',
  };
}
