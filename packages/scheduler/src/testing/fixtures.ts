import type { Node, Pod } from '@peapod/api-types';

/** Builders for scheduler tests and benchmarks: realistic Node and Pod objects in a few words. */
export interface NodeSpecOpts {
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }[];
  unschedulable?: boolean;
  images?: { names: string[]; sizeBytes: number }[];
}

export function makeNode(name: string, o: NodeSpecOpts = {}): Node {
  const allocatable = { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `node-${name}`, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...o.labels } },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: { capacity: allocatable, allocatable, images: o.images },
  } as Node;
}

export interface PodSpecOpts {
  cpu?: string;
  memory?: string;
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: NonNullable<Pod['spec']>['tolerations'];
  affinity?: NonNullable<Pod['spec']>['affinity'];
  priority?: number;
  gates?: string[];
  labels?: Record<string, string>;
  hostPort?: number;
  image?: string;
  schedulerName?: string;
  initContainers?: NonNullable<Pod['spec']>['initContainers'];
}

let seq = 0;
export function makePod(name: string, o: PodSpecOpts = {}): Pod {
  const requests: Record<string, string> = {};
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}-${++seq}`, labels: o.labels, creationTimestamp: new Date(0).toISOString() },
    spec: {
      schedulerName: o.schedulerName ?? 'default-scheduler',
      nodeName: o.nodeName,
      nodeSelector: o.nodeSelector,
      tolerations: o.tolerations,
      affinity: o.affinity,
      priority: o.priority,
      schedulingGates: o.gates?.map((g) => ({ name: g })),
      initContainers: o.initContainers,
      containers: [{ name: 'app', image: o.image ?? 'busybox', resources: { requests }, ports: o.hostPort ? [{ containerPort: o.hostPort, hostPort: o.hostPort, protocol: 'TCP' }] : undefined }],
    },
    status: { phase: 'Pending' },
  } as Pod;
}
