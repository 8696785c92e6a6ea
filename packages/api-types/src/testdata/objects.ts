import type { Pod } from '../core/v1.js';
import type { RESOURCES } from '../resources.js';

/** A realistic multi-container pod (sidecar, init, probes, env, volumes), as users write it. */
export const webPod = (): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-0', namespace: 'default', labels: { app: 'web', tier: 'frontend' }, annotations: { 'example.com/owner': 'team-a' } },
  spec: {
    initContainers: [
      { name: 'migrate', image: 'registry.example.com/migrate:1.4', command: ['/bin/migrate', '--up'] },
      {
        name: 'logshipper', image: 'busybox:1.36', restartPolicy: 'Always', command: ['sh', '-c', 'tail -F /var/log/app.log'],
        volumeMounts: [{ name: 'logs', mountPath: '/var/log' }],
        startupProbe: { exec: { command: ['true'] } },
      },
    ],
    containers: [
      {
        name: 'app', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 8080 }],
        env: [
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
          { name: 'MODE', value: 'prod' },
        ],
        resources: { requests: { cpu: '250m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
        readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5 },
        livenessProbe: { tcpSocket: { port: 8080 }, initialDelaySeconds: 10 },
        volumeMounts: [{ name: 'logs', mountPath: '/var/log' }, { name: 'config', mountPath: '/etc/app', readOnly: true }, { name: 'info', mountPath: '/etc/podinfo' }],
        lifecycle: { preStop: { sleep: { seconds: 5 } } },
      },
      { name: 'metrics', image: 'prom/statsd-exporter', ports: [{ containerPort: 9102, protocol: 'UDP' }], resources: { limits: { cpu: '100m', memory: '64Mi' } } },
    ],
    volumes: [
      { name: 'logs', emptyDir: {} },
      { name: 'config', configMap: { name: 'web-config' } },
      { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
    ],
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }],
  },
});

const tmpl = { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'nginx', resources: { limits: { cpu: 1 } } }] } };
/** One realistic object per resource, as a user or controller would send it. */
export const samples: Record<keyof typeof RESOURCES, unknown> = {
  pods: webPod(),
  nodes: {
    metadata: { name: 'node-1', labels: { 'kubernetes.io/os': 'linux' } },
    spec: { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: '2024-01-01T00:00:00Z' }], podCIDR: '10.0.0.0/24' },
    status: {
      capacity: { cpu: '2', memory: '24Gi', pods: '110' }, allocatable: { cpu: '1900m', memory: 25000000000 },
      conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: '2024-01-01T00:00:00Z', reason: 'KubeletReady' }],
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: 'node-1' }],
      nodeInfo: { machineID: 'm', systemUUID: 's', bootID: 'b', kernelVersion: '6.1', osImage: 'Debian', containerRuntimeVersion: 'peapod://0.1', kubeletVersion: 'v1.33.0', kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64' },
    },
  },
  namespaces: { metadata: { name: 'team-a' } },
  configmaps: { metadata: { name: 'c', namespace: 'default' }, data: { 'app.conf': 'x=1' }, binaryData: { blob: 'AAE=' } },
  secrets: { metadata: { name: 's', namespace: 'default' }, type: 'Opaque', data: { password: 'cGFzcw==' } },
  events: {
    metadata: { name: 'web-0.17a', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'web-0', namespace: 'default', uid: 'u' },
    reason: 'Scheduled', message: 'Successfully assigned', type: 'Normal', count: 1, firstTimestamp: '2024-01-01T00:00:00Z', source: { component: 'default-scheduler' },
  },
  'events.events.k8s.io': {
    metadata: { name: 'e1', namespace: 'default' }, eventTime: '2024-01-01T00:00:00.000000Z', reason: 'Started', note: 'Started container',
    regarding: { kind: 'Pod', name: 'web-0' }, reportingController: 'kubelet', reportingInstance: 'node-1', action: 'Start', type: 'Normal',
  },
  serviceaccounts: { metadata: { name: 'default', namespace: 'default' }, automountServiceAccountToken: false },
  persistentvolumeclaims: { metadata: { name: 'data', namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
  podtemplates: { metadata: { name: 't', namespace: 'default' }, template: tmpl },
  replicasets: { metadata: { name: 'rs', namespace: 'default' }, spec: { replicas: 2, selector: { matchLabels: { app: 'a' } }, template: tmpl } },
  deployments: { metadata: { name: 'd', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'a' } }, template: tmpl, strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: '10%' } } } },
  statefulsets: {
    metadata: { name: 's', namespace: 'default' },
    spec: { serviceName: 's', selector: { matchLabels: { app: 'a' } }, template: tmpl, volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] },
  },
  daemonsets: { metadata: { name: 'ds', namespace: 'kube-system' }, spec: { selector: { matchLabels: { app: 'a' } }, template: tmpl } },
  controllerrevisions: { metadata: { name: 'd-1', namespace: 'default' }, revision: 1, data: { spec: { template: tmpl } } },
  jobs: {
    metadata: { name: 'j', namespace: 'default' },
    spec: { completions: 3, completionMode: 'Indexed', backoffLimitPerIndex: 1, template: { ...tmpl, spec: { ...tmpl.spec, restartPolicy: 'Never' } } },
    status: { active: 1, failedIndexes: '2', terminating: 0, conditions: [{ type: 'Complete', status: 'False' }] },
  },
  cronjobs: { metadata: { name: 'cj', namespace: 'default' }, spec: { schedule: '*/5 * * * *', timeZone: 'Etc/UTC', jobTemplate: { spec: { template: { ...tmpl, spec: { ...tmpl.spec, restartPolicy: 'OnFailure' } } } } } },
  poddisruptionbudgets: { metadata: { name: 'p', namespace: 'default' }, spec: { minAvailable: '50%', selector: { matchLabels: { app: 'a' } } }, status: { currentHealthy: 1, desiredHealthy: 1, disruptionsAllowed: 0, expectedPods: 2 } },
  leases: { metadata: { name: 'node-1', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime: '2024-01-01T00:00:00.000000Z' } },
};
