import { Duplex, PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startKubelet, T0, type Harness } from './testing/harness.js';
import { ctr } from './status/testing.js';
import { MIRROR_ANNOTATION } from './static-pods.js';

let h: Harness;
let dir: string | undefined;
afterEach(async () => {
  await h?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const S = 1000;

describe('Kubelet: node registration and lease', () => {
  it('registers its Node with labels, capacity, conditions, addresses and nodeInfo', async () => {
    h = await startKubelet({ options: { capacity: { cpu: '4', memory: '8Gi', pods: '110' }, arch: 'amd64' } });
    const node = h.api.nodes.get('node-1')!;
    expect(node.metadata.labels).toMatchObject({ 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'kubernetes.io/hostname': 'node-1' });
    expect(node.status?.capacity).toEqual({ cpu: '4', memory: '8Gi', pods: '110' });
    expect(node.status?.allocatable).toEqual({ cpu: '4', memory: '8Gi', pods: '110' });
    expect(node.status?.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['MemoryPressure', 'False', 'KubeletHasSufficientMemory'],
      ['DiskPressure', 'False', 'KubeletHasNoDiskPressure'],
      ['PIDPressure', 'False', 'KubeletHasSufficientPID'],
      ['Ready', 'True', 'KubeletReady'],
    ]);
    expect(node.status?.addresses).toEqual([{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: 'node-1' }]);
    expect(node.status?.nodeInfo).toMatchObject({ operatingSystem: 'linux', architecture: 'amd64', containerRuntimeVersion: 'fake://0.1.0' });
  });

  it('renews its Lease in kube-node-lease every 10 s', async () => {
    h = await startKubelet();
    const renewals: number[] = [];
    h.kubelet.events.on('leaseRenewed', () => renewals.push((h.clock.now() - T0) / S));
    const lease = () => h.api.leases.get('kube-node-lease/node-1')!;
    expect(lease().spec).toMatchObject({ holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime: '2025-01-01T00:00:00.000000Z' });
    expect(lease().metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Node', name: 'node-1' });
    await h.run(30 * S);
    expect(renewals).toEqual([10, 20, 30]);
    expect(lease().spec?.renewTime).toBe('2025-01-01T00:00:30.000000Z');
  });

  it('reads its Node for a status update from the API server\'s cache first, and again consistently when that copy was stale', async () => {
    h = await startKubelet();
    const node = () => h.api.nodes.get('node-1')!;
    await h.run(10 * S);
    expect(h.api.nodeReads.at(-1)).toBe('0');
    // The cache lags behind an edit when the next status report (every 5 min unchanged) is due.
    h.api.cachedNodes.set('node-1', node());
    h.api.nodes.set('node-1', { ...node(), metadata: { ...node().metadata, labels: { ...node().metadata.labels, edited: 'yes' }, resourceVersion: 'newer' } });
    const reads = h.api.nodeReads.length;
    await h.run(5 * 60 * S);
    const after = h.api.nodeReads.slice(reads);
    expect(after.slice(-2)).toEqual(['0', '']);
    expect(after[0]).toBe('0');
    expect(node().metadata.labels?.edited).toBe('yes');
    expect(node().metadata.resourceVersion).not.toBe('newer');
  });

  it('renews from the Lease it last wrote, reading it again only after a Conflict or a deletion', async () => {
    h = await startKubelet();
    const key = 'kube-node-lease/node-1';
    const reads = () => h.api.leaseReads.get(key) ?? 0;
    const lease = () => h.api.leases.get(key)!;
    const atStart = reads();
    await h.run(30 * S);
    expect(reads()).toBe(atStart);
    expect(lease().spec?.renewTime).toBe('2025-01-01T00:00:30.000000Z');

    // Another writer moved the Lease on (say, an admin edit): the next renewal keeps its fields.
    h.api.putLease({ ...lease(), metadata: { ...lease().metadata, labels: { edited: 'yes' } } });
    await h.run(10 * S);
    expect(reads()).toBe(atStart + 1);
    expect(lease().metadata.labels).toEqual({ edited: 'yes' });
    expect(lease().spec?.renewTime).toBe('2025-01-01T00:00:40.000000Z');

    h.api.leases.delete(key);
    await h.run(10 * S);
    expect(reads()).toBe(atStart + 2);
    expect(lease().spec).toMatchObject({ holderIdentity: 'node-1', renewTime: '2025-01-01T00:00:50.000000Z' });
  });
});

describe('Kubelet: static pods', () => {
  const manifest = (image = 'nginx:1.27') => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'etcd', namespace: 'kube-system' }, spec: { containers: [{ name: 'etcd', image }] } });

  it('runs a static pod, mirrors it as <name>-<node>, recreates a deleted mirror and removes it with the file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'manifests-'));
    writeFileSync(join(dir, 'etcd.json'), manifest());
    h = await startKubelet({ options: { podManifestPath: dir, fileCheckPeriodMs: 5 * S } });
    await h.run(2 * S);
    const mirror = h.api.get('kube-system', 'etcd-node-1')!;
    expect(mirror.metadata.annotations?.[MIRROR_ANNOTATION]).toMatch(/^[0-9a-f]{32}$/);
    expect(mirror.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: 'node-1', uid: h.api.nodes.get('node-1')!.metadata.uid, controller: true }]);
    expect(mirror.status?.phase).toBe('Running');
    expect(h.host.containers.size).toBe(1);

    h.api.remove('kube-system', 'etcd-node-1');
    await h.run(1 * S);
    const again = h.api.get('kube-system', 'etcd-node-1')!;
    expect(again.metadata.uid).not.toBe(mirror.metadata.uid);
    expect(h.runtime.callsOf('startContainer')).toHaveLength(1);

    unlinkSync(join(dir, 'etcd.json'));
    await h.run(40 * S);
    expect(h.api.get('kube-system', 'etcd-node-1')).toBeUndefined();
    expect([...h.host.containers.values()].every((c) => c.status.state === 'Exited')).toBe(true);
  });

  it('an edited manifest replaces the static pod and its mirror', async () => {
    dir = mkdtempSync(join(tmpdir(), 'manifests-'));
    writeFileSync(join(dir, 'etcd.json'), manifest('etcd:3.5'));
    h = await startKubelet({ options: { podManifestPath: dir, fileCheckPeriodMs: 5 * S } });
    await h.run(2 * S);
    const before = h.api.get('kube-system', 'etcd-node-1')!.metadata.annotations?.[MIRROR_ANNOTATION];
    writeFileSync(join(dir, 'etcd.json'), manifest('etcd:3.6'));
    await h.run(40 * S);
    const after = h.api.get('kube-system', 'etcd-node-1')!;
    expect(after.metadata.annotations?.[MIRROR_ANNOTATION]).not.toBe(before);
    expect(after.spec?.containers[0].image).toBe('etcd:3.6');
    expect(after.status?.phase).toBe('Running');
  });
});

describe('Kubelet: streaming', () => {
  it('serves logs (current and previous), exec and refuses other pods and unknown containers', async () => {
    let runs = 0;
    h = await startKubelet({ scripts: { a: () => (runs++ === 0 ? { steps: [{ stdout: 'first run' }], exitCode: 1 } : { steps: [{ stdout: 'hello' }, { stderr: 'oops' }], exec: { 'echo hi': { stdout: 'hi\n', exitCode: 0 } } }) } });
    const pod = await h.create('p', { containers: [ctr('a')] });
    await h.run(3 * S);
    const target = { namespace: 'default', pod: 'p', uid: pod.metadata.uid!, container: 'a' };
    const read = async (it: AsyncIterable<Uint8Array>) => {
      let out = '';
      for await (const chunk of it) out += Buffer.from(chunk).toString();
      return out;
    };
    const signal = new AbortController().signal;
    expect(await read(h.kubelet.streaming.logs(target, { signal }))).toBe('hello\noops\n');
    expect(await read(h.kubelet.streaming.logs(target, { signal, previous: true }))).toBe('first run\n');
    const out: string[] = [];
    const io = { stdout: (c: Uint8Array) => out.push(Buffer.from(c).toString()), resize: (async function* () { /* no resize events */ })(), tty: false, signal };
    expect(await h.kubelet.streaming.exec(target, ['echo', 'hi'], io)).toEqual({ exitCode: 0 });
    expect(out.join('')).toBe('hi\n');
    await expect(read(h.kubelet.streaming.logs({ ...target, uid: 'other' }, { signal }))).rejects.toMatchObject({ status: { code: 404 } });
    await expect(read(h.kubelet.streaming.logs({ ...target, container: 'nope' }, { signal }))).rejects.toMatchObject({ status: { code: 400, message: 'container nope is not valid for pod p' } });
  });
});

describe('Kubelet: port-forward', () => {
  it('connects to a port the pod listens on, both ways with half-close, and refuses closed ports and other pods', async () => {
    h = await startKubelet({ scripts: { a: () => ({ listen: [8080] }) } });
    const pod = await h.create('p', { containers: [ctr('a')] });
    await h.run(3 * S);
    const target = { namespace: 'default', pod: 'p', uid: pod.metadata.uid! };
    const fromClient = new PassThrough();
    const toClient = new PassThrough();
    const signal = new AbortController().signal;
    const done = h.kubelet.streaming.portForward(target, 8080, Duplex.from({ readable: fromClient, writable: toClient }), signal);
    const echoed: Buffer[] = [];
    toClient.on('data', (c: Buffer) => echoed.push(c));
    // The fake runtime's listener echoes: what the client sends comes back, and its half-close ends the reply.
    fromClient.end('ping');
    await done;
    await finished(toClient);
    expect(Buffer.concat(echoed).toString()).toBe('ping');
    await expect(h.kubelet.streaming.portForward(target, 9, new PassThrough(), signal)).rejects.toMatchObject({ status: { code: 503, message: expect.stringContaining('nothing listens on port 9') } });
    await expect(h.kubelet.streaming.portForward({ ...target, uid: 'other' }, 8080, new PassThrough(), signal)).rejects.toMatchObject({ status: { code: 400 } });
  });

  it('drops the connection when the client aborts', async () => {
    h = await startKubelet({ scripts: { a: () => ({ listen: [80] }) } });
    const pod = await h.create('p', { containers: [ctr('a')] });
    await h.run(3 * S);
    const abort = new AbortController();
    const done = h.kubelet.streaming.portForward({ namespace: 'default', pod: 'p', uid: pod.metadata.uid! }, 80, new PassThrough(), abort.signal);
    abort.abort();
    await expect(done).resolves.toBeUndefined();
  });
});

describe('Kubelet: orphaned mirror pods', () => {
  it('deletes a mirror pod whose manifest is gone after a restart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'manifests-'));
    h = await startKubelet({ options: { podManifestPath: dir } });
    h.api.addPod({ metadata: { name: 'old-node-1', namespace: 'default', annotations: { [MIRROR_ANNOTATION]: 'abc' } }, spec: { nodeName: 'node-1', containers: [ctr('a')] } });
    await h.run(3 * S);
    expect(h.api.get('default', 'old-node-1')).toBeUndefined();
    expect(h.runtime.callsOf('runPodSandbox')).toHaveLength(0);
  });
});
