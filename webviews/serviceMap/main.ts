/**
 * The Service Map panel: the Docker services on this host and how they connect, from
 * ops.service_map. Until that tool can run here the panel says so, and can preview the
 * diagram with clearly marked sample data.
 */
import '../common/elements';
import type { Run, ToolInfo } from '../../contracts/rest';
import { HostClient } from '../common/client';
import { h, icon, replace } from '../common/dom';
import { PanelState } from '../common/state';
import { describeError, emptyState, missingTools, showBanner } from '../common/ui';
import { vscodeApi } from '../common/vscode-api';
import { drawServiceMap } from './diagram';
import type { ServiceMap, ServiceNode } from './layout';
import { SAMPLE_SERVICE_MAP } from './sample-data';

const TOOL = 'ops.service_map';

const vscode = vscodeApi();
const client = new HostClient(vscode, window);
client.onProtocolError = (m) => showBanner('warning', m);
const state = new PanelState(vscode, { sample: false, includeStopped: false, selected: '', map: null as unknown });

const app = document.getElementById('app') as HTMLElement;
const missingEl = h('div', { attrs: { 'data-role': 'missing' } });
const canvas = h('div', { class: 'sm-canvas', attrs: { 'data-role': 'diagram' } });
const side = h('aside', { class: 'sm-side', attrs: { 'aria-label': 'Container detail' } });
let tool: ToolInfo | undefined;

function currentMap(): ServiceMap | null {
  return state.get().sample ? SAMPLE_SERVICE_MAP : (state.get().map as ServiceMap | null);
}

function showNode(node: ServiceNode | undefined): void {
  if (!node) {
    replace(side, h('p', { class: 'muted' }, 'Select a container to see its networks, ports and environment variable names.'), legend());
    return;
  }
  replace(
    side,
    h('h2', null, node.name),
    h('dl', { class: 'facts' }, h('dt', null, 'Image'), h('dd', null, h('code', null, node.image)), h('dt', null, 'State'), h('dd', null, node.state), h('dt', null, 'Networks'), h('dd', null, node.networks.join(', ') || '—')),
    h('h3', null, 'Ports'),
    node.ports.length === 0 ? h('p', { class: 'muted' }, 'None') : h('ul', null, node.ports.map((p) => h('li', null, `${p.container_port}/${p.protocol}${p.host_port ? ` published on ${p.host_port}` : ' (not published)'}`))),
    h('h3', null, 'Environment variable names'),
    node.env_names.length === 0 ? h('p', { class: 'muted' }, 'None') : h('ul', null, node.env_names.map((n) => h('li', null, h('code', null, n)))),
    h('p', { class: 'muted' }, 'Values are never read.'),
    legend(),
  );
}

function legend(): HTMLElement {
  return h(
    'div',
    { class: 'legend', attrs: { 'aria-label': 'Legend' } },
    h('span', null, h('span', { class: 'swatch network' }), 'shared network'),
    h('span', null, h('span', { class: 'swatch link' }), 'Docker link'),
    h('span', null, h('span', { class: 'swatch env_reference' }), 'environment reference'),
  );
}

function render(): void {
  replace(missingEl, tool ? missingTools([tool], 'The service map cannot be read here yet:') : null);
  const map = currentMap();
  const toggle = app.querySelector<HTMLElement>('[data-action="toggle-sample"]');
  if (toggle) {
    toggle.textContent = state.get().sample ? 'Hide sample data' : 'Preview with sample data';
    toggle.setAttribute('aria-pressed', String(state.get().sample));
  }
  const run = app.querySelector<HTMLElement & { disabled: boolean }>('[data-action="run"]');
  if (run) run.disabled = !tool?.available;
  const tag = app.querySelector<HTMLElement>('[data-role="sample-tag"]');
  tag?.classList.toggle('hidden', !state.get().sample);
  if (!map) {
    replace(canvas, emptyState('type-hierarchy', tool?.available ? 'Press "Map services" to read the containers on this host.' : 'No map yet.'));
    showNode(undefined);
    return;
  }
  const select = (node: ServiceNode) => {
    state.update({ selected: node.id });
    render();
    canvas.querySelector<SVGGElement>(`[data-node="${CSS.escape(node.id)}"]`)?.focus();
  };
  replace(canvas, map.nodes.length === 0 ? emptyState('info', 'No allowlisted containers on this host.') : drawServiceMap(map, select, state.get().selected || null));
  showNode(map.nodes.find((n) => n.id === state.get().selected));
}

async function readMap(): Promise<void> {
  try {
    const run: Run = await client.request('tool/call', { tool: TOOL, input: { include_stopped: state.get().includeStopped }, wait: true });
    if (run.status !== 'succeeded') {
      showBanner('error', `${TOOL} ${run.status.replace('_', ' ')}${run.error ? `: ${run.error.message}` : ''}`);
      return;
    }
    state.update({ map: run.output ?? null, sample: false });
    render();
  } catch (err) {
    showBanner('error', `${TOOL}: ${describeError(err)}`);
  }
}

async function init(): Promise<void> {
  try {
    const { tools } = await client.request('tools/list', {});
    tool = tools.find((t) => t.name === TOOL);
    if (!tool) showBanner('warning', `The registry has no ${TOOL} tool.`);
  } catch (err) {
    showBanner('error', `Could not read the tool registry: ${describeError(err)}`);
  }
  render();
  // The page starts busy (panel HTML): assistive technology reads it once it knows what it can do.
  app.setAttribute('aria-busy', 'false');
}

const includeStopped = h('vscode-checkbox', { attrs: { label: 'Include stopped containers' }, props: { checked: state.get().includeStopped } }) as unknown as HTMLElement & { checked: boolean };
includeStopped.addEventListener('change', () => state.update({ includeStopped: includeStopped.checked }));

replace(
  app,
  h(
    'div',
    { class: 'toolbar' },
    h('h1', null, 'Service Map'),
    h('span', { class: 'sample-tag hidden', attrs: { 'data-role': 'sample-tag' } }, icon('beaker'), 'Sample data'),
    h('span', { class: 'spacer' }),
    includeStopped,
    h('vscode-button', { attrs: { icon: 'play', 'data-action': 'run', disabled: true }, on: { click: () => void readMap() } }, 'Map services'),
    h(
      'vscode-button',
      {
        attrs: { secondary: true, icon: 'beaker', 'data-action': 'toggle-sample' },
        on: {
          click: () => {
            state.update({ sample: !state.get().sample, selected: '' });
            render();
          },
        },
      },
      'Preview with sample data',
    ),
  ),
  missingEl,
  h('div', { class: 'service-map' }, canvas, side),
);

client.on('panel/resync', () => void init());
client.on('protocol/error', ({ message }) => showBanner('warning', `The extension refused a message: ${message}`));
client.ready('serviceMap');
render();
void init();
