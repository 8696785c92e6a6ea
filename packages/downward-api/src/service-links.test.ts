import { describe, expect, it } from 'vitest';
import { serviceLinkEnv, type ServiceLink } from './service-links.js';

const kubernetes: ServiceLink = { name: 'kubernetes', namespace: 'default', clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] };
const redis: ServiceLink = { name: 'redis-primary', namespace: 'shop', clusterIP: '10.96.3.4', ports: [{ port: 6379 }, { name: 'metrics', port: 9121, protocol: 'TCP' }] };
const dns: ServiceLink = { name: 'dns', namespace: 'shop', clusterIP: 'fd00::a', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] };
const headless: ServiceLink = { name: 'db', namespace: 'shop', clusterIP: 'None', ports: [{ port: 5432 }] };
const elsewhere: ServiceLink = { name: 'other', namespace: 'billing', clusterIP: '10.96.9.9', ports: [{ port: 80 }] };

describe('serviceLinkEnv', () => {
  it('makes the variables Kubernetes injects for the master service and the pod namespace', () => {
    expect(serviceLinkEnv('shop', true, [kubernetes, redis, dns, headless, elsewhere])).toEqual({
      DNS_SERVICE_HOST: 'fd00::a',
      DNS_SERVICE_PORT: '53',
      DNS_SERVICE_PORT_DNS: '53',
      DNS_PORT: 'udp://[fd00::a]:53',
      DNS_PORT_53_UDP: 'udp://[fd00::a]:53',
      DNS_PORT_53_UDP_PROTO: 'udp',
      DNS_PORT_53_UDP_PORT: '53',
      DNS_PORT_53_UDP_ADDR: 'fd00::a',
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_SERVICE_PORT_HTTPS: '443',
      KUBERNETES_PORT: 'tcp://10.96.0.1:443',
      KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443',
      KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
      KUBERNETES_PORT_443_TCP_PORT: '443',
      KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
      REDIS_PRIMARY_SERVICE_HOST: '10.96.3.4',
      REDIS_PRIMARY_SERVICE_PORT: '6379',
      REDIS_PRIMARY_SERVICE_PORT_METRICS: '9121',
      REDIS_PRIMARY_PORT: 'tcp://10.96.3.4:6379',
      REDIS_PRIMARY_PORT_6379_TCP: 'tcp://10.96.3.4:6379',
      REDIS_PRIMARY_PORT_6379_TCP_PROTO: 'tcp',
      REDIS_PRIMARY_PORT_6379_TCP_PORT: '6379',
      REDIS_PRIMARY_PORT_6379_TCP_ADDR: '10.96.3.4',
      REDIS_PRIMARY_PORT_9121_TCP: 'tcp://10.96.3.4:9121',
      REDIS_PRIMARY_PORT_9121_TCP_PROTO: 'tcp',
      REDIS_PRIMARY_PORT_9121_TCP_PORT: '9121',
      REDIS_PRIMARY_PORT_9121_TCP_ADDR: '10.96.3.4',
    });
  });

  it('keeps only the master service when service links are disabled', () => {
    expect(Object.keys(serviceLinkEnv('shop', false, [kubernetes, redis])).every((k) => k.startsWith('KUBERNETES_'))).toBe(true);
  });

  it("lets the pod namespace's own kubernetes service win over the master one", () => {
    const own: ServiceLink = { name: 'kubernetes', namespace: 'shop', clusterIP: '10.96.7.7', ports: [{ port: 8080 }] };
    expect(serviceLinkEnv('shop', true, [own, kubernetes]).KUBERNETES_SERVICE_HOST).toBe('10.96.7.7');
    expect(serviceLinkEnv('shop', true, [kubernetes, own]).KUBERNETES_SERVICE_HOST).toBe('10.96.7.7');
  });
});
