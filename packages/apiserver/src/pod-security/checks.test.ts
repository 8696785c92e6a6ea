import type { ObjectMeta, PodSpec } from '@peapod/api-types';
import { describe, expect, it } from 'vitest';
import { evaluatePod, forbiddenDetail, type Level } from './checks.js';

/** A pod that passes every restricted check; each case below breaks (or bends) exactly one rule. */
function compliant(): { metadata: ObjectMeta; spec: PodSpec } {
  return {
    metadata: { name: 'p' },
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'c', image: 'x', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
    },
  };
}
type Pod = ReturnType<typeof compliant>;
const sc = (p: Pod) => p.spec.containers[0]!.securityContext!;
const detail = (level: Level, p: Pod, minor = Infinity) => forbiddenDetail(evaluatePod(level, minor, p.metadata, p.spec));

interface Case {
  check: string;
  /** The lowest level that forbids `fail`. */
  level: Exclude<Level, 'privileged'>;
  fail: (p: Pod) => void;
  /** The message at `level` (and at restricted for baseline checks unless `restricted` says otherwise). */
  message: string;
  restricted?: string;
  /** A nearby allowed value. */
  pass: (p: Pod) => void;
}

const CASES: Case[] = [
  {
    check: 'hostProcess', level: 'baseline',
    fail: (p) => { p.spec.securityContext!.windowsOptions = { hostProcess: true }; sc(p).windowsOptions = { hostProcess: true }; },
    message: 'hostProcess (pod and container "c" must not set securityContext.windowsOptions.hostProcess=true)',
    pass: (p) => { sc(p).windowsOptions = { hostProcess: false }; },
  },
  {
    check: 'host namespaces', level: 'baseline',
    fail: (p) => { Object.assign(p.spec, { hostNetwork: true, hostPID: true, hostIPC: true }); },
    message: 'host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)',
    pass: (p) => { Object.assign(p.spec, { hostNetwork: false, hostPID: false, hostIPC: false }); },
  },
  {
    check: 'privileged', level: 'baseline',
    fail: (p) => { sc(p).privileged = true; },
    message: 'privileged (container "c" must not set securityContext.privileged=true)',
    pass: (p) => { sc(p).privileged = false; },
  },
  {
    check: 'capabilities beyond the baseline set', level: 'baseline',
    fail: (p) => { sc(p).capabilities!.add = ['NET_RAW', 'CHOWN', 'SYS_ADMIN']; },
    message: 'non-default capabilities (container "c" must not include "NET_RAW", "SYS_ADMIN" in securityContext.capabilities.add)',
    restricted: 'unrestricted capabilities (container "c" must not include "CHOWN", "NET_RAW", "SYS_ADMIN" in securityContext.capabilities.add)',
    pass: (p) => { sc(p).capabilities!.add = ['NET_BIND_SERVICE']; },
  },
  {
    check: 'hostPath volumes', level: 'baseline',
    fail: (p) => { p.spec.volumes = [{ name: 'a', hostPath: { path: '/' } }, { name: 'b', hostPath: { path: '/etc' } }]; },
    message: 'hostPath volumes (volumes "a", "b")',
    restricted: 'restricted volume types (volumes "a", "b" use restricted volume type "hostPath")',
    pass: (p) => { p.spec.volumes = [{ name: 'a', emptyDir: {} }]; },
  },
  {
    check: 'host ports', level: 'baseline',
    fail: (p) => { p.spec.containers[0]!.ports = [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81, hostPort: 90 }]; },
    message: 'hostPort (container "c" uses hostPorts 8080, 90)',
    pass: (p) => { p.spec.containers[0]!.ports = [{ containerPort: 80 }]; },
  },
  {
    check: 'probe or lifecycle host', level: 'baseline',
    fail: (p) => { p.spec.containers[0]!.livenessProbe = { httpGet: { port: 80, host: 'example.com' } }; },
    message: 'probe or lifecycle host (container "c" uses probe or lifecycle host "example.com")',
    pass: (p) => { p.spec.containers[0]!.livenessProbe = { httpGet: { port: 80 } }; },
  },
  {
    check: 'AppArmor', level: 'baseline',
    fail: (p) => {
      sc(p).appArmorProfile = { type: 'Unconfined' };
      p.metadata.annotations = { 'container.apparmor.security.beta.kubernetes.io/c': 'unconfined' };
    },
    message: 'forbidden AppArmor profiles (container "c" and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/c="unconfined"")',
    pass: (p) => {
      sc(p).appArmorProfile = { type: 'Localhost', localhostProfile: 'x' };
      p.metadata.annotations = { 'container.apparmor.security.beta.kubernetes.io/c': 'runtime/default' };
    },
  },
  {
    check: 'SELinux', level: 'baseline',
    fail: (p) => { p.spec.securityContext!.seLinuxOptions = { type: 'spc_t', user: 'u', role: 'r' }; },
    message: 'seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set; role may not be set)',
    pass: (p) => { p.spec.securityContext!.seLinuxOptions = { type: 'container_engine_t', level: 's0:c1' }; },
  },
  {
    check: '/proc mount type', level: 'baseline',
    fail: (p) => { sc(p).procMount = 'Unmasked'; },
    message: 'procMount (container "c" must not set securityContext.procMount to "Unmasked")',
    pass: (p) => { sc(p).procMount = 'Default'; },
  },
  {
    check: 'seccomp Unconfined', level: 'baseline',
    fail: (p) => { sc(p).seccompProfile = { type: 'Unconfined' }; },
    message: 'seccompProfile (container "c" must not set securityContext.seccompProfile.type to "Unconfined")',
    pass: (p) => { sc(p).seccompProfile = { type: 'Localhost', localhostProfile: 'p.json' }; },
  },
  {
    check: 'sysctls outside the safe set', level: 'baseline',
    fail: (p) => { p.spec.securityContext!.sysctls = [{ name: 'kernel.msgmax', value: '1' }, { name: 'net.ipv4.tcp_syncookies', value: '1' }, { name: 'vm.swappiness', value: '1' }]; },
    message: 'forbidden sysctls (kernel.msgmax, vm.swappiness)',
    pass: (p) => { p.spec.securityContext!.sysctls = [{ name: 'net.ipv4.ip_local_port_range', value: '1024 65535' }, { name: 'net.ipv4.tcp_notsent_lowat', value: '1' }]; },
  },
  {
    check: 'restricted volume types', level: 'restricted',
    fail: (p) => { p.spec.volumes = [{ name: 'n', nfs: { server: 's', path: '/' } }, { name: 'ok', configMap: { name: 'x' } }]; },
    message: 'restricted volume types (volume "n" uses restricted volume type "nfs")',
    pass: (p) => { p.spec.volumes = [{ name: 's', secret: { secretName: 'x' } }, { name: 'p', persistentVolumeClaim: { claimName: 'x' } }, { name: 'd', downwardAPI: {} }, { name: 'j', projected: {} }, { name: 'e', ephemeral: {} }, { name: 'i', csi: { driver: 'd' } }]; },
  },
  {
    check: 'privilege escalation', level: 'restricted',
    fail: (p) => { delete sc(p).allowPrivilegeEscalation; },
    message: 'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false)',
    pass: (p) => { sc(p).allowPrivilegeEscalation = false; },
  },
  {
    check: 'runAsNonRoot', level: 'restricted',
    fail: (p) => { delete p.spec.securityContext!.runAsNonRoot; },
    message: 'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true)',
    pass: (p) => { delete p.spec.securityContext!.runAsNonRoot; sc(p).runAsNonRoot = true; },
  },
  {
    check: 'runAsNonRoot=false', level: 'restricted',
    fail: (p) => { p.spec.securityContext!.runAsNonRoot = false; },
    message: 'runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false)',
    pass: (p) => { p.spec.securityContext!.runAsNonRoot = true; },
  },
  {
    check: 'runAsUser 0', level: 'restricted',
    fail: (p) => { p.spec.securityContext!.runAsUser = 0; sc(p).runAsUser = 0; },
    message: 'runAsUser=0 (pod and container "c" must not set runAsUser=0)',
    pass: (p) => { p.spec.securityContext!.runAsUser = 1000; },
  },
  {
    check: 'seccomp required', level: 'restricted',
    fail: (p) => { delete p.spec.securityContext!.seccompProfile; },
    message: 'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    pass: (p) => { delete p.spec.securityContext!.seccompProfile; sc(p).seccompProfile = { type: 'RuntimeDefault' }; },
  },
  {
    check: 'capabilities drop ALL', level: 'restricted',
    fail: (p) => { sc(p).capabilities = { drop: ['NET_RAW'], add: ['CHOWN'] }; },
    message: 'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]; container "c" must not include "CHOWN" in securityContext.capabilities.add)',
    pass: (p) => { sc(p).capabilities = { drop: ['ALL'], add: ['NET_BIND_SERVICE'] }; },
  },
];

describe('Pod Security Standards checks', () => {
  it('the compliant pod passes every level', () => {
    for (const level of ['privileged', 'baseline', 'restricted'] as const) expect(detail(level, compliant())).toBe('');
  });

  describe.each(CASES)('$check ($level)', (c) => {
    it('a violating pod fails with Kubernetes\' message', () => {
      const p = compliant();
      c.fail(p);
      expect(detail('privileged', p)).toBe('');
      if (c.level === 'baseline') {
        expect(detail('baseline', p)).toBe(c.message);
        expect(detail('restricted', p)).toBe(c.restricted ?? c.message);
      } else {
        expect(detail('baseline', p)).toBe('');
        expect(detail('restricted', p)).toBe(c.message);
      }
    });

    it('an allowed value passes', () => {
      const p = compliant();
      c.pass(p);
      expect(detail('baseline', p)).toBe('');
      expect(detail('restricted', p)).toBe('');
    });
  });

  it('a bare pod against restricted lists every violation in Kubernetes\' order, init and ephemeral containers included', () => {
    const p: Pod = { metadata: {}, spec: { initContainers: [{ name: 'init', image: 'x' }], containers: [{ name: 'c', image: 'x', securityContext: { privileged: true } }] } };
    expect(detail('restricted', p)).toBe([
      'privileged (container "c" must not set securityContext.privileged=true)',
      'allowPrivilegeEscalation != false (containers "init", "c" must set securityContext.allowPrivilegeEscalation=false)',
      'unrestricted capabilities (containers "init", "c" must set securityContext.capabilities.drop=["ALL"])',
      'runAsNonRoot != true (pod or containers "init", "c" must set securityContext.runAsNonRoot=true)',
      'seccompProfile (pod or containers "init", "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    ].join(', '));
    p.spec.ephemeralContainers = [{ name: 'debug', image: 'x', securityContext: { privileged: true } }];
    expect(detail('baseline', p)).toBe('privileged (containers "c", "debug" must not set securityContext.privileged=true)');
  });

  describe('versions', () => {
    it('sysctls grow their safe set over versions', () => {
      const p = compliant();
      p.spec.securityContext!.sysctls = [{ name: 'net.ipv4.tcp_keepalive_time', value: '1' }];
      expect(detail('baseline', p, 28)).toBe('forbidden sysctls (net.ipv4.tcp_keepalive_time)');
      expect(detail('baseline', p, 29)).toBe('');
    });

    it('container_engine_t is allowed from v1.31', () => {
      const p = compliant();
      sc(p).seLinuxOptions = { type: 'container_engine_t' };
      expect(detail('baseline', p, 30)).toBe('seLinuxOptions (container "c" set forbidden securityContext.seLinuxOptions: type "container_engine_t")');
      expect(detail('baseline', p, 31)).toBe('');
    });

    it('probe hosts are checked from v1.34', () => {
      const p = compliant();
      p.spec.containers[0]!.readinessProbe = { tcpSocket: { port: 80, host: '10.0.0.1' } };
      expect(detail('baseline', p, 33)).toBe('');
      expect(detail('baseline', p, 34)).toBe('probe or lifecycle host (container "c" uses probe or lifecycle host "10.0.0.1")');
    });

    it('user-namespaced pods may run as root and unmask /proc at baseline from v1.35; restricted still forbids Unmasked', () => {
      const p = compliant();
      p.spec.hostUsers = false;
      p.spec.securityContext!.runAsNonRoot = false;
      p.spec.securityContext!.runAsUser = 0;
      sc(p).procMount = 'Unmasked';
      expect(detail('baseline', p, 35)).toBe('');
      expect(detail('restricted', p, 35)).toBe('procMount (container "c" must not set securityContext.procMount to "Unmasked")');
      expect(detail('restricted', p, 34)).toBe([
        'procMount (container "c" must not set securityContext.procMount to "Unmasked")',
        'runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false)',
        'runAsUser=0 (pod must not set runAsUser=0)',
      ].join(', '));
    });

    it('Windows pods skip the Linux-only restricted checks from v1.25', () => {
      const p: Pod = { metadata: {}, spec: { os: { name: 'windows' }, securityContext: { runAsNonRoot: true }, containers: [{ name: 'c', image: 'x' }] } };
      expect(detail('restricted', p, 25)).toBe('');
      expect(detail('restricted', p, 24)).toContain('allowPrivilegeEscalation != false');
    });

    it('before v1.19 seccomp is read from annotations; before v1.22 restricted checks only baseline capabilities', () => {
      const p = compliant();
      p.metadata.annotations = { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' };
      expect(detail('baseline', p, 18)).toBe('seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined")');
      expect(detail('baseline', p, 19)).toBe('');
      const q = compliant();
      delete sc(q).capabilities;
      expect(detail('restricted', q, 21)).toBe('');
      expect(detail('restricted', q, 22)).toContain('unrestricted capabilities');
    });
  });
});
