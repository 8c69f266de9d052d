/** A sample ops.service_map output (its output schema's shape), for the preview and tests. */
import type { ServiceMap } from './layout';

export const SAMPLE_SERVICE_MAP: ServiceMap = {
  nodes: [
    { id: 'c-web', name: 'web', image: 'acme/web:1.4.2', state: 'running', networks: ['app'], ports: [{ container_port: 3000, host_port: 8080, protocol: 'tcp' }], env_names: ['API_URL', 'NODE_ENV'] },
    { id: 'c-api', name: 'api', image: 'acme/api:2.0.1', state: 'running', networks: ['app', 'data'], ports: [{ container_port: 8000, host_port: null, protocol: 'tcp' }], env_names: ['DATABASE_URL', 'REDIS_URL', 'LLM_URL'] },
    { id: 'c-worker', name: 'worker', image: 'acme/api:2.0.1', state: 'running', networks: ['data'], ports: [], env_names: ['DATABASE_URL', 'REDIS_URL'] },
    { id: 'c-db', name: 'postgres', image: 'postgres:16', state: 'running', networks: ['data'], ports: [{ container_port: 5432, host_port: null, protocol: 'tcp' }], env_names: ['POSTGRES_PASSWORD'] },
    { id: 'c-redis', name: 'redis', image: 'redis:7', state: 'running', networks: ['data'], ports: [{ container_port: 6379, host_port: null, protocol: 'tcp' }], env_names: [] },
    { id: 'c-llm', name: 'llm', image: 'product-os/llm:0.1.0', state: 'exited', networks: ['llm'], ports: [{ container_port: 8081, host_port: null, protocol: 'tcp' }], env_names: ['MODEL_PATH'] },
  ],
  edges: [
    { from: 'c-web', to: 'c-api', kind: 'network', label: 'app' },
    { from: 'c-web', to: 'c-api', kind: 'env_reference', label: 'API_URL' },
    { from: 'c-api', to: 'c-db', kind: 'env_reference', label: 'DATABASE_URL' },
    { from: 'c-api', to: 'c-redis', kind: 'env_reference', label: 'REDIS_URL' },
    { from: 'c-worker', to: 'c-db', kind: 'env_reference', label: 'DATABASE_URL' },
    { from: 'c-worker', to: 'c-redis', kind: 'env_reference', label: 'REDIS_URL' },
    { from: 'c-api', to: 'c-worker', kind: 'network', label: 'data' },
    { from: 'c-api', to: 'c-llm', kind: 'env_reference', label: 'LLM_URL' },
    { from: 'c-db', to: 'c-api', kind: 'link', label: 'db' },
  ],
};
