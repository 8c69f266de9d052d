/**
 * The Company Brain panel: the brand profile as a form generated from its JSON Schema (the
 * `brand` part of brand.get_profile's output schema), validated as you type, saved through
 * brand.update_profile as a merge patch; the version history with what each version changed,
 * and revert to any version. Unsaved edits survive hide and reload.
 */
import '../common/elements';
import type { BrandVersion, Run } from '../../contracts/rest';
import { HostClient, RequestError } from '../common/client';
import { h, icon, replace } from '../common/dom';
import { formatTime } from '../common/format';
import { diffJson, mergePatchBetween, type Change } from '../common/json-diff';
import { callerLabel } from '../common/caller-label';
import { profileLines } from './version-summary';
import { deepEqual, type JsonSchema, type Violation } from '../../contracts/json-schema';
import { PanelState } from '../common/state';
import { clearBanner, describeError, showBanner } from '../common/ui';
import { vscodeApi } from '../common/vscode-api';
import { FormView } from './form-view';
import { buildForm, withRequired } from './schema-form';

const PROFILE_ID = 'default';

const vscode = vscodeApi();
const client = new HostClient(vscode, window);
client.onProtocolError = (m) => showBanner('warning', m);
const state = new PanelState(vscode, { draft: null as unknown, baseVersion: 0, selectedVersion: 0 });

const app = document.getElementById('app') as HTMLElement;
const statusEl = h('span', { class: 'muted', attrs: { 'data-role': 'status', 'aria-live': 'polite' } });
const problemsEl = h('span', { class: 'error-text', attrs: { 'data-role': 'problems' } });
const saveButton = h('vscode-button', { attrs: { icon: 'save', disabled: true, 'data-action': 'save' }, on: { click: () => void save() } }, 'Save') as unknown as HTMLElement & { disabled: boolean };
const discardButton = h('vscode-button', { attrs: { secondary: true, disabled: true, 'data-action': 'discard' }, on: { click: () => discard() } }, 'Discard changes') as unknown as HTMLElement & { disabled: boolean };
const formPane = h('section', { class: 'brain-form', attrs: { 'aria-label': 'Profile' } }, h('p', { class: 'muted' }, 'Loading the brand profile…'));
const versionsEl = h('ul', { class: 'versions', attrs: { 'aria-label': 'Versions' } });
const diffEl = h('div', { attrs: { 'data-role': 'diff' } });

let form: FormView | null = null;
let saved: unknown = null;
let versions: BrandVersion[] = [];
let busy = false;

function latestVersion(): number {
  return versions[0]?.version ?? 0;
}

function refreshStatus(): void {
  const dirty = form !== null && !deepEqual(form.value, saved);
  const problems = form?.problems ?? [];
  saveButton.disabled = busy || !dirty || problems.length > 0;
  discardButton.disabled = busy || !dirty;
  statusEl.textContent = busy ? 'Saving…' : dirty ? 'Unsaved changes' : latestVersion() > 0 ? `Version ${latestVersion()}` : 'No profile saved yet';
  problemsEl.textContent = problems.length > 0 ? `${problems.length} problem${problems.length === 1 ? '' : 's'} to fix before saving` : '';
}

function changed(draft: unknown, _violations: Violation[]): void {
  state.update({ draft: deepEqual(draft, saved) ? null : draft, baseVersion: latestVersion() });
  refreshStatus();
}

function discard(): void {
  form?.setValue(saved);
  state.update({ draft: null });
  refreshStatus();
}

function describeChange(c: Change): HTMLElement {
  const path = c.pointer.slice(1).replace(/\//g, ' › ') || 'profile';
  const show = (v: unknown) => (typeof v === 'string' ? `"${v}"` : JSON.stringify(v));
  switch (c.kind) {
    case 'added':
      return h('li', { class: 'added' }, `+ ${path}: ${show(c.after)}`);
    case 'removed':
      return h('li', { class: 'removed' }, `− ${path}: ${show(c.before)}`);
    case 'changed':
      return h('li', { class: 'changed' }, `~ ${path}: ${show(c.before)} → ${show(c.after)}`);
  }
}

function renderVersions(): void {
  const selected = state.get().selectedVersion || latestVersion();
  if (versions.length === 0) {
    replace(versionsEl, h('li', { class: 'muted' }, 'No versions yet.'));
    replace(diffEl);
    return;
  }
  replace(
    versionsEl,
    versions.map((v) =>
      h(
        'li',
        { class: v.version === selected ? 'selected' : '', dataset: { version: String(v.version) } },
        h(
          'button',
          { class: 'version', attrs: { type: 'button', 'aria-pressed': v.version === selected }, on: { click: () => selectVersion(v.version) } },
          h('strong', null, `v${v.version}`),
          h('span', null, formatTime(v.createdAt)),
          h('span', { class: 'muted', attrs: { title: v.changedBy } }, callerLabel(v.changedBy)),
        ),
      ),
    ),
  );
  const i = versions.findIndex((v) => v.version === selected);
  const v = versions[i];
  if (!v) return replace(diffEl);
  const previous = versions[i + 1];
  const changes = diffJson(previous?.brand, v.brand);
  replace(
    diffEl,
    h('h3', null, previous ? `Changes in v${v.version} (since v${previous.version})` : `v${v.version}: the first version`),
    !previous
      ? h('ul', { class: 'diff' }, profileLines(v.brand).map((l) => h('li', { class: 'added' }, `${l.path}: ${l.text}`)))
      : changes.length === 0
        ? h('p', { class: 'muted' }, 'No changes.')
        : h('ul', { class: 'diff' }, changes.map(describeChange)),
    v.version !== latestVersion()
      ? h('div', { class: 'row' }, h('vscode-button', { attrs: { secondary: true, icon: 'discard', 'data-action': 'revert' }, on: { click: () => void revert(v.version) } }, `Revert to v${v.version}`))
      : h('p', { class: 'muted' }, 'This is the current version.'),
  );
}

function selectVersion(version: number): void {
  state.update({ selectedVersion: version });
  renderVersions();
}

async function load(keepDraft: boolean): Promise<void> {
  app.setAttribute('aria-busy', 'true');
  try {
    const result = await client.request('brand/load', { profileId: PROFILE_ID });
    versions = [...result.versions].sort((a, b) => b.version - a.version);
    const schema = result.schema as JsonSchema;
    const root = buildForm(schema);
    saved = withRequired(root, result.profile ?? {});
    const kept = state.get();
    let initial = saved;
    if (keepDraft && kept.draft !== null) {
      initial = kept.draft;
      if (kept.baseVersion !== latestVersion()) showBanner('warning', `Your unsaved edits were made on version ${kept.baseVersion}; the profile is now at version ${latestVersion()}. Review them before saving.`);
    }
    form = new FormView(root, schema, initial, changed);
    replace(
      formPane,
      // The fields scroll; the Save bar sits below them, never over a field.
      h(
        'div',
        { class: 'brain-fields' },
        result.profile === null ? h('p', { class: 'notice' }, icon('info'), ' There is no brand profile yet: fill it in and save to create version 1.') : null,
        form.root,
      ),
      h('div', { class: 'form-actions' }, saveButton, discardButton, statusEl, problemsEl),
    );
    if (state.get().selectedVersion && !versions.some((v) => v.version === state.get().selectedVersion)) state.update({ selectedVersion: 0 });
    renderVersions();
    refreshStatus();
  } catch (err) {
    replace(formPane, h('p', { class: 'notice notice-error', attrs: { role: 'alert' } }, `Could not load the brand profile: ${describeError(err)}`));
  } finally {
    app.setAttribute('aria-busy', 'false');
  }
}

function afterWrite(run: Run, what: string): boolean {
  if (run.status === 'awaiting_approval') {
    showBanner('warning', `${what} is waiting for approval (run ${run.id.slice(0, 8)}). Approve it in the Runs panel.`, h('a', { attrs: { href: '#' }, on: { click: (e) => (e.preventDefault(), void client.request('ui/openPanel', { panel: 'runs', runId: run.id })) } }, 'Open Runs'));
    return false;
  }
  if (run.status !== 'succeeded') {
    showBanner('warning', `${what} is still ${run.status.replace('_', ' ')} (run ${run.id.slice(0, 8)}).`);
    return false;
  }
  return true;
}

async function save(): Promise<void> {
  if (!form || busy) return;
  if (form.problems.length > 0) {
    showBanner('error', 'Fix the problems shown in the form before saving.');
    return;
  }
  const patch = mergePatchBetween(saved, form.value);
  if (Object.keys(patch).length === 0) return;
  busy = true;
  refreshStatus();
  try {
    const run = await client.request('brand/save', { profileId: PROFILE_ID, patch });
    if (afterWrite(run, 'The save')) {
      clearBanner();
      state.update({ draft: null, selectedVersion: 0 });
      await load(false);
      showBanner('info', `Saved: the profile is now at version ${latestVersion()}.`);
    }
  } catch (err) {
    const violations = err instanceof RequestError ? (err.details as { violations?: Violation[] } | undefined)?.violations : undefined;
    if (Array.isArray(violations)) form.setServerViolations(violations);
    showBanner('error', `Could not save: ${describeError(err)}`);
  } finally {
    busy = false;
    refreshStatus();
  }
}

async function revert(version: number): Promise<void> {
  if (busy) return;
  busy = true;
  refreshStatus();
  try {
    const run = await client.request('brand/revert', { profileId: PROFILE_ID, version });
    if (afterWrite(run, `Reverting to v${version}`)) {
      state.update({ draft: null, selectedVersion: 0 });
      await load(false);
      showBanner('info', `Reverted to v${version}: saved as version ${latestVersion()}.`);
    }
  } catch (err) {
    showBanner('error', `Could not revert to v${version}: ${describeError(err)}`);
  } finally {
    busy = false;
    refreshStatus();
  }
}

replace(
  app,
  h(
    'div',
    { class: 'toolbar' },
    h('h1', null, 'Company Brain'),
    h('span', { class: 'muted' }, `Brand profile "${PROFILE_ID}"`),
    h('span', { class: 'spacer' }),
    h('vscode-button', { attrs: { secondary: true, icon: 'refresh' }, on: { click: () => void load(true) } }, 'Reload'),
  ),
  h('div', { class: 'brain' }, formPane, h('aside', { class: 'brain-side', attrs: { 'aria-label': 'Version history' } }, h('h2', null, 'History'), versionsEl, diffEl)),
);

client.on('panel/resync', () => void load(true));
client.on('protocol/error', ({ message }) => showBanner('warning', `The extension refused a message: ${message}`));
client.ready('brain');
void load(true);
