import type { Pod } from '../core/v1.js';

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
