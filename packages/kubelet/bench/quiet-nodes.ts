/**
 * What kubelets cost on quiet fake nodes, as `peapod up --fake-nodes` holds them once every pod is
 * Running: many kubelets on the fake runtime and an in-memory API (so only the kubelets' own work
 * counts), on the real clock. Printed, all from one run:
 * - floor: % of a core the nodes take before any pod (Lease renewal and node status every 10 s);
 * - quiet: % of a core with PER pods Running on each node and nothing changing (relist every
 *   second, housekeeping every 2 s, each pod's resync every 60-90 s, plus the floor's work);
 * - start: the kubelets' CPU per pod while the pods go to Running, and how many syncs and status
 *   writes each pod took (Kubernetes' status manager writes only what changed: one write takes a
 *   pod from Pending to Running when its container starts at once).
 * The full quiet window lasts 91 s, so every pod's first resync (60-90 s after it started: the
 * period plus the kubelet's jitter) falls in it once; the floor's lasts 61 s (six Lease periods).
 * The quick windows (5 s) hold no resync.
 *
 *   npx tsx --conditions=@peapod/source packages/kubelet/bench/quiet-nodes.ts [--quick]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from '@peapod/api-types';
import { RealClock } from '@peapod/core';
import { FakeHost, FakeRuntime } from '@peapod/runtime/testing';
import { emit } from '../../../tools/emit.mjs';
import { Kubelet } from '../src/index.js';
import { FakeKubeletApi } from '../src/testing/index.js';

const quick = process.argv.includes('--quick');
const NODES = quick ? 200 : 1000;
const PER = quick ? 10 : 30;
const FLOOR_MS = quick ? 5_000 : 61_000;
const WINDOW_MS = quick ? 5_000 : 91_000;

const clock = new RealClock();
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** % of a core this process used over `ms` of wall time. */
async function corePct(ms: number): Promise<number> {
  const c0 = cpuMs();
  const t0 = performance.now();
  await sleep(ms);
  return ((cpuMs() - c0) / (performance.now() - t0)) * 100;
}

const root = mkdtempSync(join(tmpdir(), 'quiet-nodes-'));
try {
  let syncs = 0;
  let statusWrites = 0;
  const apis = Array.from({ length: NODES }, () => {
    const api = Object.assign(new FakeKubeletApi(), { recordWrites: false });
    const write = api.writePodStatus.bind(api);
    api.writePodStatus = (pod, status) => (statusWrites++, write(pod, status));
    return api;
  });
  const kubelets = apis.map((api, n) => {
    const k = new Kubelet({ api, runtime: new FakeRuntime({ host: new FakeHost(clock), recordCalls: false }), clock }, { nodeName: `n${n}`, rootDir: join(root, `n${n}`), os: 'linux' });
    // The pod workers call the kubelet's syncPod: counted here, without a hook in the kubelet.
    const sync = k.syncPod.bind(k);
    k.syncPod = (pod) => (syncs++, sync(pod));
    return k;
  });
  await Promise.all(kubelets.map((k) => k.start()));
  await sleep(2000);
  const floor = await corePct(FLOOR_MS);

  let running = 0;
  const allRunning = new Promise<void>((resolve) => {
    for (const k of kubelets) {
      k.events.on('podPhaseChanged', (_p, _from, to) => {
        if (to === 'Running' && ++running === NODES * PER) resolve();
      });
    }
  });
  const c0 = cpuMs();
  const [syncs0, writes0] = [syncs, statusWrites];
  for (let i = 0; i < NODES * PER; i++) {
    const nodeName = `n${i % NODES}`;
    apis[i % NODES].addPod({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, namespace: 'default' },
      spec: { nodeName, containers: [{ name: 'app', image: 'registry.local/app:1.0', imagePullPolicy: 'IfNotPresent', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
    } as Pod);
  }
  await allRunning;
  await Promise.all(kubelets.map((k) => k.settle()));
  const startMsPerPod = (cpuMs() - c0) / (NODES * PER);
  const perPod = (n: number) => (n / (NODES * PER)).toFixed(2);
  const [startSyncs, startWrites] = [perPod(syncs - syncs0), perPod(statusWrites - writes0)];
  await sleep(2000);
  const quiet = await corePct(WINDOW_MS);
  await Promise.all(kubelets.map((k) => k.stop()));

  const pct = (v: number) => `${v.toFixed(1)}% of a core`;
  console.log(`${NODES} fake nodes, ${PER} pods each, ${FLOOR_MS / 1000} s / ${WINDOW_MS / 1000} s windows (floor / quiet), node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const line = (label: string, value: string) => console.log(`${label.padEnd(52)}${value}`);
  line('floor: the nodes without pods', pct(floor));
  line(`quiet: ${NODES * PER} pods Running, nothing changing`, pct(quiet));
  line("start: the kubelets' CPU per pod to Running", `${startMsPerPod.toFixed(3)} ms`);
  line('start: syncs and status writes per pod to Running', `${startSyncs} / ${startWrites}`);
  emit('kubelet.quiet_nodes_core_pct', quiet, '% of a core', { name: 'the same nodes without pods', value: floor });
} finally {
  rmSync(root, { recursive: true, force: true });
}
