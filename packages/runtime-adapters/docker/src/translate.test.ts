import { describe, expect, it } from 'vitest';
import { RuntimeError, containerLabels, podLabels, type ContainerConfig, type PodSandboxConfig } from '@peapod/runtime';
import { listensOn, negotiateApiVersion } from './docker-runtime.js';
import { DockerLabel, LOOPBACK_HOSTS, containerCreateOptions, resolvConf, sandboxCreateOptions, userLabels } from './translate.js';

const meta = { name: 'web', namespace: 'shop', uid: 'uid-1' };
const sandbox = (extra: Partial<PodSandboxConfig> = {}): PodSandboxConfig => ({
  metadata: { ...meta, attempt: 2 },
  logDirectory: '/var/log/pods/shop_web_uid-1',
  labels: podLabels(meta),
  annotations: { 'example.com/a': 'b' },
  ...extra,
});
const container = (extra: Partial<ContainerConfig> = {}): ContainerConfig => ({
  metadata: { name: 'app', attempt: 1 },
  image: { image: 'busybox:1.36' },
  command: [],
  args: [],
  envs: [{ key: 'A', value: '1' }, { key: 'B', value: 'x=y' }],
  mounts: [],
  labels: containerLabels(meta, 'app'),
  annotations: { 'io.kubernetes.container.hash': 'h1' },
  logPath: 'app/1.log',
  ...extra,
});
const ctx = { sandboxId: 'sb1', readProfile: (p: string) => `{"profile":"${p}"}` };
/** The Engine's own network stack (the adapter cannot write the pod's /etc files). */
const opts = { pauseImage: 'peapod/pause:3.9', network: 'none', writesEtcFiles: false };

describe('sandbox -> Docker create options', () => {
  it('is a pause container owning the pod network, IPC and hostname, labelled for adoption', () => {
    const o = sandboxCreateOptions(sandbox({ dnsConfig: { servers: ['10.0.0.10'], searches: ['shop.svc.cluster.local'], options: ['ndots:5'] } }), opts);
    expect(o).toMatchObject({ name: 'k8s_POD_web_shop_uid-1_2', Image: 'peapod/pause:3.9', Hostname: 'web' });
    expect(o.HostConfig).toMatchObject({ NetworkMode: 'none', IpcMode: 'shareable', PidMode: '', Dns: ['10.0.0.10'], DnsSearch: ['shop.svc.cluster.local'], DnsOptions: ['ndots:5'] });
    expect(o.Labels).toMatchObject({ ...podLabels(meta), [DockerLabel.type]: 'sandbox', [DockerLabel.network]: 'Pod' });
    expect(JSON.parse(o.Labels![DockerLabel.metadata])).toEqual({ ...meta, attempt: 2 });
    expect(JSON.parse(o.Labels![DockerLabel.annotations])).toEqual({ 'example.com/a': 'b' });
    expect(userLabels(o.Labels)).toEqual(podLabels(meta));
  });

  it('leaves a none sandbox\'s network namespace to runc when the adapter writes its /etc files, and only then', () => {
    const dns = { dnsConfig: { servers: ['10.0.0.10'], searches: [], options: [] } };
    const own = sandboxCreateOptions(sandbox(dns), { ...opts, writesEtcFiles: true });
    expect(own).toMatchObject({ NetworkDisabled: true, Hostname: 'web' });
    expect(own.HostConfig).toMatchObject({ NetworkMode: 'none', IpcMode: 'shareable' });
    expect(own.HostConfig!.Dns).toBeUndefined(); // the adapter's resolv.conf carries it
    expect(sandboxCreateOptions(sandbox(dns), opts).NetworkDisabled).toBeUndefined();
    // A Docker network gives the pod an address; host networking uses the node's namespace.
    expect(sandboxCreateOptions(sandbox(), { ...opts, network: 'bridge', writesEtcFiles: true }).NetworkDisabled).toBeUndefined();
    const hostNet = { linux: { securityContext: { namespaceOptions: { network: 'Node' as const, pid: 'Container' as const, ipc: 'Pod' as const } } } };
    expect(sandboxCreateOptions(sandbox(hostNet), { ...opts, writesEtcFiles: true }).NetworkDisabled).toBeUndefined();
  });

  it('writes the pod\'s DNS config as resolv.conf, exactly as given, else the host\'s file', () => {
    expect(resolvConf({ servers: ['10.0.0.10', '10.0.0.11'], searches: ['shop.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5'] }, 'nameserver 1.1.1.1\n'))
      .toBe('search shop.svc.cluster.local svc.cluster.local\nnameserver 10.0.0.10\nnameserver 10.0.0.11\noptions ndots:5\n');
    expect(resolvConf({ servers: ['10.0.0.10'], searches: [], options: [] }, 'search example.com\n')).toBe('nameserver 10.0.0.10\n');
    expect(resolvConf(undefined, 'nameserver 1.1.1.1\nsearch example.com\n')).toBe('nameserver 1.1.1.1\nsearch example.com\n');
    expect(LOOPBACK_HOSTS.split('\n')[0]).toBe('127.0.0.1\tlocalhost');
  });

  it('uses the host network without a hostname or DNS for hostNetwork pods, and the host PID namespace for hostPID', () => {
    const o = sandboxCreateOptions(sandbox({
      hostname: 'ignored',
      dnsConfig: { servers: ['1.1.1.1'], searches: [], options: [] },
      linux: { securityContext: { namespaceOptions: { network: 'Node', pid: 'Node', ipc: 'Node' } } },
    }), opts);
    expect(o.Hostname).toBeUndefined();
    expect(o.HostConfig).toMatchObject({ NetworkMode: 'host', IpcMode: 'host', PidMode: 'host' });
    expect(o.HostConfig!.Dns).toBeUndefined();
    expect(o.Labels![DockerLabel.network]).toBe('Node');
  });

  it('binds host ports only on a network that can carry them', () => {
    const ports = { portMappings: [{ protocol: 'TCP' as const, containerPort: 80, hostPort: 8080 }, { protocol: 'UDP' as const, containerPort: 53 }] };
    expect(sandboxCreateOptions(sandbox(ports), opts).HostConfig!.PortBindings).toBeUndefined();
    const bridged = sandboxCreateOptions(sandbox(ports), { ...opts, network: 'peapod' });
    expect(bridged.HostConfig!.PortBindings).toEqual({ '80/tcp': [{ HostIp: '', HostPort: '8080' }] });
    expect(bridged.ExposedPorts).toEqual({ '80/tcp': {}, '53/udp': {} });
  });
});

describe('container -> Docker create options', () => {
  it('joins the sandbox network and IPC, keeps its own PID namespace by default, and logs through json-file', () => {
    const o = containerCreateOptions(container(), sandbox(), ctx);
    expect(o).toMatchObject({ name: 'k8s_app_web_shop_uid-1_1', Image: 'busybox:1.36', Env: ['A=1', 'B=x=y'], Tty: false, OpenStdin: false });
    expect(o.HostConfig).toMatchObject({ NetworkMode: 'container:sb1', IpcMode: 'container:sb1', PidMode: '', LogConfig: { Type: 'json-file', Config: {} }, RestartPolicy: { Name: 'no' } });
    expect(o.Labels).toMatchObject({ ...containerLabels(meta, 'app'), [DockerLabel.type]: 'container', [DockerLabel.sandboxId]: 'sb1', [DockerLabel.image]: 'busybox:1.36' });
    expect(JSON.parse(o.Labels![DockerLabel.annotations])).toEqual({ 'io.kubernetes.container.hash': 'h1' });
  });

  it('shares the PID namespace with the pod when the pod does (shareProcessNamespace)', () => {
    const shared = { namespaceOptions: { network: 'Pod' as const, pid: 'Pod' as const, ipc: 'Pod' as const } };
    expect(containerCreateOptions(container({ linux: { securityContext: shared } }), sandbox(), ctx).HostConfig!.PidMode).toBe('container:sb1');
    const target = { namespaceOptions: { network: 'Pod' as const, pid: 'Target' as const, ipc: 'Pod' as const, targetId: 'c9' } };
    expect(containerCreateOptions(container({ linux: { securityContext: target } }), sandbox(), ctx).HostConfig!.PidMode).toBe('container:c9');
  });

  it('maps command and args onto Entrypoint and Cmd as Kubernetes defines them', () => {
    const both = containerCreateOptions(container({ command: ['/bin/sh', '-c'], args: ['echo hi'] }), sandbox(), ctx);
    expect([both.Entrypoint, both.Cmd]).toEqual([['/bin/sh', '-c'], ['echo hi']]);
    const commandOnly = containerCreateOptions(container({ command: ['sleep', '1'] }), sandbox(), ctx);
    expect([commandOnly.Entrypoint, commandOnly.Cmd]).toEqual([['sleep', '1'], undefined]);
    const argsOnly = containerCreateOptions(container({ args: ['--port', '80'] }), sandbox(), ctx);
    expect([argsOnly.Entrypoint, argsOnly.Cmd]).toEqual([undefined, ['--port', '80']]);
  });

  it('binds volumes from the pod directory with their mode and propagation, and refuses relative mount paths', () => {
    const o = containerCreateOptions(container({
      mounts: [
        { hostPath: '/var/lib/kubelet/pods/uid-1/volumes/empty-dir/cache', containerPath: '/cache' },
        { hostPath: '/etc/config-vol', containerPath: '/etc/config', readonly: true, propagation: 'HostToContainer' },
      ],
    }), sandbox(), ctx);
    expect(o.HostConfig!.Mounts).toEqual([
      { Type: 'bind', Source: '/var/lib/kubelet/pods/uid-1/volumes/empty-dir/cache', Target: '/cache', ReadOnly: false },
      { Type: 'bind', Source: '/etc/config-vol', Target: '/etc/config', ReadOnly: true, BindOptions: { Propagation: 'rslave' } },
    ]);
    const bad = (() => { try { containerCreateOptions(container({ mounts: [{ hostPath: '/x', containerPath: 'rel' }] }), sandbox(), ctx); } catch (e) { return e; } })();
    expect(bad).toBeInstanceOf(RuntimeError);
    expect(bad).toMatchObject({ code: 'InvalidArgument', reason: 'CreateContainerConfigError' });
  });

  it('mounts the sandbox\'s /etc/hosts and /etc/resolv.conf when the adapter wrote them (read-only with a read-only root), unless the container mounts its own', () => {
    const withEtc = { ...ctx, etcDir: '/docker/containers/sb1' };
    expect(containerCreateOptions(container(), sandbox(), withEtc).HostConfig!.Mounts).toEqual([
      { Type: 'bind', Source: '/docker/containers/sb1/peapod-hosts', Target: '/etc/hosts', ReadOnly: false },
      { Type: 'bind', Source: '/docker/containers/sb1/peapod-resolv.conf', Target: '/etc/resolv.conf', ReadOnly: false },
    ]);
    const own = containerCreateOptions(container({ mounts: [{ hostPath: '/pods/uid-1/etc-hosts', containerPath: '/etc/hosts' }] }), sandbox(), withEtc);
    expect(own.HostConfig!.Mounts!.map((m) => [m.Source, m.Target])).toEqual([
      ['/pods/uid-1/etc-hosts', '/etc/hosts'],
      ['/docker/containers/sb1/peapod-resolv.conf', '/etc/resolv.conf'],
    ]);
    expect(containerCreateOptions(container(), sandbox(), ctx).HostConfig!.Mounts).toEqual([]);
    const readOnlyRoot = containerCreateOptions(container({ linux: { securityContext: { readonlyRootfs: true } } }), sandbox(), withEtc);
    expect(readOnlyRoot.HostConfig!.Mounts!.map((m) => m.ReadOnly)).toEqual([true, true]);
  });

  it('carries the security context and resources', () => {
    const o = containerCreateOptions(container({
      workingDir: '/srv',
      stopSignal: 'SIGQUIT',
      stdin: true,
      tty: true,
      linux: {
        resources: { cpuShares: 512, cpuPeriod: 100_000, cpuQuota: 50_000, memoryLimitInBytes: 64 << 20, oomScoreAdj: 900, cpusetCpus: '0' },
        securityContext: {
          runAsUser: 1000,
          runAsGroup: 3000,
          supplementalGroups: [4000],
          readonlyRootfs: true,
          noNewPrivs: true,
          capabilities: { addCapabilities: ['NET_ADMIN'], dropCapabilities: ['ALL'] },
          seccomp: { profileType: 'Localhost', localhostRef: '/var/lib/kubelet/seccomp/audit.json' },
          apparmorProfile: 'k8s-default',
        },
      },
    }), sandbox(), ctx);
    expect(o).toMatchObject({ User: '1000:3000', WorkingDir: '/srv', StopSignal: 'SIGQUIT', OpenStdin: true, Tty: true });
    expect(o.HostConfig).toMatchObject({
      CpuShares: 512, CpuPeriod: 100_000, CpuQuota: 50_000, Memory: 64 << 20, MemorySwap: 64 << 20, OomScoreAdj: 900, CpusetCpus: '0',
      ReadonlyRootfs: true, GroupAdd: ['4000'], CapAdd: ['NET_ADMIN'], CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges', 'seccomp={"profile":"/var/lib/kubelet/seccomp/audit.json"}', 'apparmor=k8s-default'],
    });
    const unconfined = containerCreateOptions(container({ linux: { securityContext: { seccomp: { profileType: 'Unconfined' }, runAsUsername: 'www' } } }), sandbox(), ctx);
    expect(unconfined.HostConfig!.SecurityOpt).toEqual(['seccomp=unconfined']);
    expect(unconfined.User).toBe('www');
  });

  it('runs Unconfined without a seccomp profile (Kubernetes\' default), Docker\'s own profile only for RuntimeDefault', () => {
    expect(containerCreateOptions(container(), sandbox(), ctx).HostConfig!.SecurityOpt).toEqual(['seccomp=unconfined']);
    const runtimeDefault = container({ linux: { securityContext: { seccomp: { profileType: 'RuntimeDefault' } } } });
    expect(containerCreateOptions(runtimeDefault, sandbox(), ctx).HostConfig!.SecurityOpt).toEqual([]);
  });

  it('pairs runAsGroup with the user name or uid, and refuses a group without a user', () => {
    const withGroup = (sc: object) => container({ linux: { securityContext: { runAsGroup: 5, ...sc } } });
    expect(containerCreateOptions(withGroup({ runAsUsername: 'nobody', runAsUser: 7 }), sandbox(), ctx).User).toBe('nobody:5');
    expect(containerCreateOptions(withGroup({ runAsUser: 0 }), sandbox(), ctx).User).toBe('0:5');
    expect(() => containerCreateOptions(withGroup({}), sandbox(), ctx)).toThrow(expect.objectContaining({ reason: 'CreateContainerConfigError', message: expect.stringContaining('runAsGroup is specified without a runAsUser') }));
  });
});

describe('API version negotiation', () => {
  it('speaks the daemon version when it is in range, else the newest it knows, and refuses when none is shared', () => {
    expect(negotiateApiVersion('1.41')).toBe('1.41');
    expect(negotiateApiVersion('1.45', '1.24')).toBe('1.45');
    expect(negotiateApiVersion('1.51', '1.44')).toBe('1.47');
    expect(() => negotiateApiVersion('1.40')).toThrow(/share no version/);
    expect(() => negotiateApiVersion('1.60', '1.50')).toThrow(/share no version/);
  });
});

describe('port-forward listening check', () => {
  it('finds LISTEN sockets on the port in /proc/net/tcp and tcp6 listings', () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0',
      '   1: 0100007F:0050 0100007F:A000 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0',
    ].join('\n');
    expect(listensOn(tcp, 8080)).toBe(true);
    expect(listensOn(tcp, 80)).toBe(false); // established, not listening
    expect(listensOn('   0: 00000000000000000000000000000000:1F91 00000000000000000000000000000000:0000 0A 0', 8081)).toBe(true);
  });
});
