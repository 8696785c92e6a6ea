import type { Container, Pod } from '@peapod/api-types';

/** A scheduled, running pod with every field the downward API reads. */
export const makePod = (overrides: { containers?: Container[]; initContainers?: Container[]; labels?: Record<string, string> } = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web-0',
    namespace: 'shop',
    uid: '6f1c2d3e-0000-4000-8000-000000000001',
    labels: overrides.labels ?? { app: 'web', 'app.kubernetes.io/tier': 'frontend' },
    annotations: { 'build/commit': 'abc123', note: 'line one\nline "two"' },
  },
  spec: {
    nodeName: 'node-a',
    serviceAccountName: 'web-sa',
    containers: overrides.containers ?? [
      {
        name: 'app',
        image: 'busybox',
        resources: { limits: { cpu: '250m', memory: '64Mi' }, requests: { cpu: '100m', memory: '32Mi', 'ephemeral-storage': '1Gi' } },
      },
      { name: 'sidecar', image: 'busybox' },
    ],
    ...(overrides.initContainers ? { initContainers: overrides.initContainers } : {}),
  },
  status: {
    phase: 'Running',
    hostIP: '10.0.0.5',
    hostIPs: [{ ip: '10.0.0.5' }, { ip: 'fd00::5' }],
    podIP: '10.244.1.7',
    podIPs: [{ ip: '10.244.1.7' }, { ip: 'fd00:244::7' }],
  },
});

export const NODE_ALLOCATABLE = { cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi', pods: '110' };
