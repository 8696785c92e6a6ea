import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFailedMount } from '@peapod/downward-api';
import type { Pod } from '@peapod/api-types';
import { VolumeManager } from './volumes.js';
import { startKubelet, type Harness } from './testing/harness.js';
import { ctr } from './status/testing.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'volumes-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const pod = (volumes: NonNullable<Pod['spec']>['volumes'], labels: Record<string, string> = {}): Pod => ({
  metadata: { name: 'p', namespace: 'default', uid: 'uid-1', labels },
  spec: { containers: [ctr('a')], volumes },
});

describe('VolumeManager', () => {
  it('prepares emptyDir, configMap, downwardAPI and hostPath volumes under the pod directory', async () => {
    const vm = new VolumeManager(root, {
      configMaps: { getConfigMap: (_ns, name) => (name === 'cfg' ? { metadata: { name }, data: { 'app.conf': 'x=1' } } : undefined) },
    });
    const host = join(root, 'host-data');
    const paths = await vm.setUp(pod([
      { name: 'scratch', emptyDir: {} },
      { name: 'cfg', configMap: { name: 'cfg' } },
      { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
      { name: 'data', hostPath: { path: host, type: 'DirectoryOrCreate' } },
    ], { app: 'web' }));
    expect(paths.get('scratch')).toBe(join(root, 'pods/uid-1/volumes/kubernetes.io~empty-dir/scratch'));
    expect(statSync(paths.get('scratch')!).mode & 0o7777).toBe(0o777);
    expect(readFileSync(join(paths.get('cfg')!, 'app.conf'), 'utf8')).toBe('x=1');
    expect(readFileSync(join(paths.get('info')!, 'labels'), 'utf8')).toBe('app="web"');
    expect(paths.get('data')).toBe(host);
    expect(existsSync(host)).toBe(true);
    await vm.tearDown('uid-1');
    expect(existsSync(join(root, 'pods/uid-1'))).toBe(false);
  });

  it('gives an emptyDir to the pod\'s fsGroup, setgid, so what containers write in it is the group\'s', async () => {
    const vm = new VolumeManager(root, {});
    const p = pod([{ name: 'scratch', emptyDir: {} }]);
    p.spec!.securityContext = { fsGroup: 2000 };
    const st = statSync((await vm.setUp(p)).get('scratch')!);
    expect(st.mode & 0o7777).toBe(0o2777);
    // Only root may hand a directory to another group; the kubelet runs as root here.
    if (process.getuid?.() === 0) expect(st.gid).toBe(2000);
    await vm.tearDown('uid-1');
  });

  it('rewrites downward API files when labels change', async () => {
    const vm = new VolumeManager(root, {});
    const volumes = [{ name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } }];
    const dir = (await vm.setUp(pod(volumes, { v: '1' }))).get('info')!;
    await vm.setUp(pod(volumes, { v: '2' }));
    expect(readFileSync(join(dir, 'labels'), 'utf8')).toBe('v="2"');
  });

  it.each([
    ['a missing configMap', { name: 'cfg', configMap: { name: 'nope' } }, /MountVolume.SetUp failed for volume "cfg" : configmap "nope" not found/],
    ['a hostPath of the wrong type', { name: 'h', hostPath: { path: '/etc/hostname', type: 'Directory' } }, /MountVolume.SetUp failed for volume "h" : hostPath type check failed: \/etc\/hostname is not a directory/],
    ['an unsupported volume type', { name: 'nfs', nfs: { server: 's', path: '/' } }, /volume type nfs is not supported/],
  ])('refuses %s with a FailedMount error', async (_t, volume, message) => {
    const vm = new VolumeManager(root, { configMaps: { getConfigMap: () => undefined } });
    const err = await vm.setUp(pod([volume as never])).catch((e: unknown) => e);
    expect(isFailedMount(err)).toBe(true);
    expect(String((err as Error).message)).toMatch(message);
  });
});

describe('Kubelet volumes', () => {
  let h: Harness;
  afterEach(async () => h?.stop());
  /** Moves time until `n` containers were created: volume set-up is real file-system work, which a loaded machine may finish after a settle. */
  const runUntilCreated = async (n: number) => {
    for (let i = 0; i < 30 && h.runtime.callsOf('createContainer').length < n; i++) await h.run(1000);
  };

  it('mounts configMap, secret, downwardAPI and projected volumes read-only whatever the mount says', async () => {
    h = await startKubelet({});
    await h.create('ro', {
      volumes: [{ name: 'info', downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } }, { name: 'scratch', emptyDir: {} }],
      containers: [ctr('a', { volumeMounts: [{ name: 'info', mountPath: '/info', readOnly: false }, { name: 'scratch', mountPath: '/scratch' }] })],
    });
    await runUntilCreated(1);
    const mounts = (h.runtime.callsOf('createContainer')[0].args[1] as { mounts: { containerPath: string; readonly?: boolean }[] }).mounts;
    expect(mounts.map((m) => [m.containerPath, !!m.readonly])).toEqual([['/info', true], ['/scratch', false]]);
  });

  it('mounts one emptyDir into every container of the pod and keeps the pod ContainerCreating while a volume fails', async () => {
    h = await startKubelet({ scripts: { writer: { steps: [{ writeFile: '/shared/msg', content: 'hello' }] }, reader: { steps: [{ sleep: 1000 }, { catFile: '/shared/msg' }] } } });
    const mount = [{ name: 'shared', mountPath: '/shared' }];
    await h.create('p', { volumes: [{ name: 'shared', emptyDir: {} }], containers: [ctr('writer', { volumeMounts: mount }), ctr('reader', { volumeMounts: mount })] });
    await runUntilCreated(2);
    await h.run(3000);
    const [w, r] = h.runtime.callsOf('createContainer').map((c) => (c.args[1] as { mounts: { hostPath: string }[] }).mounts[0].hostPath);
    expect(w).toBe(r);
    expect(readFileSync(join(w, 'msg'), 'utf8')).toBe('hello');

    await h.create('q', { volumes: [{ name: 'cfg', configMap: { name: 'missing' } }], containers: [ctr('a', { volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }] })] });
    expect(h.container('q', 'a')?.state?.waiting?.reason).toBe('ContainerCreating');
    expect(h.status('q')?.phase).toBe('Pending');
  });
});
