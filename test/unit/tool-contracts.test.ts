import assert from 'node:assert/strict';
import { TOOL_CONTRACTS } from '../../contracts/tool-contracts';
import { loadRegistry } from '../../registry/loader';
import { buildServiceMap } from '../../workers/tasks/service-map/map';
import { buildGpuReport } from '../../workers/tasks/gpu-report/report';

/** Words that do not change what a schema accepts. */
const IGNORED = new Set(['description', 'title', 'examples', '$id', '$schema']);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * One spelling for each way TypeBox and hand-written YAML say the same thing: `type: [t, null]`
 * is an anyOf, an anyOf of constants is an enum, `required` is a set, and keys are sorted.
 */
function normalize(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(normalize);
  if (!isObj(schema)) return schema;
  let s: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (IGNORED.has(k)) continue;
    if (k === 'properties' && isObj(v)) s[k] = Object.fromEntries(Object.entries(v).map(([p, sub]) => [p, normalize(sub)]));
    else s[k] = normalize(v);
  }
  if (Array.isArray(s.type)) {
    const { type, ...rest } = s;
    s = { anyOf: (type as string[]).map((t) => (t === 'null' ? { type: 'null' } : normalize({ type: t, ...rest }))) };
  }
  const anyOf = s.anyOf;
  if (Array.isArray(anyOf) && anyOf.every((b) => isObj(b) && 'const' in b && Object.keys(b).every((k) => k === 'const' || k === 'type'))) {
    const types = new Set(anyOf.map((b) => (b as Record<string, unknown>).type));
    const { anyOf: _, ...rest } = s;
    s = { ...rest, enum: anyOf.map((b) => (b as Record<string, unknown>).const), ...(types.size === 1 && [...types][0] !== undefined ? { type: [...types][0] } : {}) };
  }
  if (Array.isArray(s.required)) s.required = [...(s.required as string[])].sort();
  if (Array.isArray(s.required) && s.required.length === 0) delete s.required;
  return Object.fromEntries(Object.entries(s).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const plain = (schema: unknown) => normalize(JSON.parse(JSON.stringify(schema)));

describe('contracts: tool contracts agree with the registry', () => {
  const registry = loadRegistry();

  for (const [tool, contract] of Object.entries(TOOL_CONTRACTS)) {
    it(`${tool}: the contract and the registry declare the same schemas`, () => {
      const spec = registry.get(tool)?.spec;
      assert.ok(spec, `${tool} is not in the registry`);
      if (contract.input) assert.deepEqual(plain(contract.input), plain(spec.inputSchema), `${tool} inputSchema differs from its contract`);
      if (contract.output) assert.deepEqual(plain(contract.output), plain(spec.outputSchema), `${tool} outputSchema differs from its contract`);
    });
  }

  it('notices a difference of one keyword on either side', () => {
    const output = registry.get('ops.service_map')!.spec.outputSchema;
    const changed = JSON.parse(JSON.stringify(output)) as { properties: { nodes: { items: { properties: { ports: { items: { properties: { protocol: { enum: string[] } } } } } } } } };
    changed.properties.nodes.items.properties.ports.items.properties.protocol.enum.push('quic');
    assert.notDeepEqual(plain(TOOL_CONTRACTS['ops.service_map']!.output), plain(changed));
    const optional = JSON.parse(JSON.stringify(registry.get('ops.gpu_report')!.spec.outputSchema)) as { required: string[] };
    optional.required = optional.required.filter((r) => r !== 'source');
    assert.notDeepEqual(plain(TOOL_CONTRACTS['ops.gpu_report']!.output), plain(optional));
  });

  it('what the worker tasks return passes the registry’s outputSchema', () => {
    const map = buildServiceMap([
      { id: 'a', name: 'api', image: 'api:1', state: 'running', networks: [{ name: 'app', aliases: [] }], ports: [{ container_port: 80, host_port: 8080, protocol: 'TCP' }], links: [], env_names: ['DB'], env_references: [{ name: 'DB', to: 'b' }] },
      { id: 'b', name: 'db', image: 'postgres:16', state: 'running', networks: [{ name: 'app', aliases: ['db'] }], ports: [{ container_port: 5432, host_port: null, protocol: 'quic' }], links: [], env_names: [], env_references: [] },
    ]);
    assert.deepEqual(registry.get('ops.service_map')!.validateOutput(map), []);
    const report = buildGpuReport(
      { source: 'nvidia-smi', gpus: [{ index: 0, name: 'H200', uuid: 'GPU-1', memoryTotalMb: 143771, memoryUsedMb: null, utilizationPct: 3, temperatureC: 31, powerW: null }], processes: [], containers: [] },
      { includeContainers: true },
    );
    assert.deepEqual(registry.get('ops.gpu_report')!.validateOutput(report), []);
  });
});
