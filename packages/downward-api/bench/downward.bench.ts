/**
 * What the kubelet pays per pod sync and per container start, next to a floor measured in the
 * same run. Prints medians of several runs; never asserts on time.
 *
 *   npx tsx --conditions=@peapod/source packages/downward-api/bench/downward.bench.ts [--quick]
 */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, Pod } from '@peapod/api-types';
import { resolveEnv, writeAtomically, type Payload } from '../src/index.js';
// nx-ignore-next-line -- a dev-time script helper, not a dependency of the package
import { emit } from '../../../tools/emit.mjs';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 3 : 7;
/** Calls per run: file writes, then env resolutions. */
const [WRITES, ENVS] = quick ? [12, 500] : [200, 2000];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median over RUNS of the mean microseconds per call of `op` over `n` calls. */
const measure = async (n: number, op: (i: number) => Promise<unknown> | unknown): Promise<number> => {
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await op(i);
    runs.push(Number(process.hrtime.bigint() - start) / 1000 / n);
  }
  return median(runs);
};

const payload = (gen: number): Payload =>
  new Map(Array.from({ length: 10 }, (_, i) => [i < 5 ? `f${i}` : `dir/f${i}`, { data: Buffer.from(`generation ${gen} file ${i}\n`.repeat(20)), mode: 0o644 }]));

const pod: Pod = {
  metadata: { name: 'web-0', namespace: 'shop', uid: 'u1', labels: { app: 'web' } },
  spec: { nodeName: 'node-a', containers: [] },
  status: { hostIPs: [{ ip: '10.0.0.5' }], podIPs: [{ ip: '10.244.0.9' }] },
};
const container: Container = {
  name: 'app',
  resources: { limits: { cpu: '500m', memory: '256Mi' } },
  env: Array.from({ length: 50 }, (_, i) =>
    i % 5 === 0 ? { name: `F${i}`, valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } }
      : i % 5 === 1 ? { name: `R${i}`, valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } }
        : { name: `V${i}`, value: `prefix-$(F${i - (i % 5)})-$(V${i - 1})` }),
};

const root = await fs.mkdtemp(join(tmpdir(), 'peapod-bench-'));
try {
  const atomicDir = join(root, 'atomic');
  const plainDir = join(root, 'plain');
  await fs.mkdir(join(plainDir, 'dir'), { recursive: true });
  let gen = 0;
  const changed = await measure(WRITES, () => writeAtomically(atomicDir, payload(++gen)));
  const unchanged = await measure(WRITES, () => writeAtomically(atomicDir, payload(gen)));
  const floor = await measure(WRITES, async (i) => {
    for (const [p, f] of payload(i)) await fs.writeFile(join(plainDir, p), f.data, { mode: f.mode });
  });
  const env = await measure(ENVS, () => resolveEnv(pod, container));
  const envFloor = await measure(ENVS, () => container.env!.map((e) => ({ name: e.name, value: e.value ?? '' })));

  console.log(`downward-api benchmarks (median of ${RUNS} runs, Node ${process.version})`);
  console.log(`  writeAtomically, 10 files, contents changed : ${changed.toFixed(0)} µs/write`);
  console.log(`  writeAtomically, 10 files, unchanged (sync)  : ${unchanged.toFixed(0)} µs/write`);
  console.log(`  floor: fs.writeFile of the same 10 files     : ${floor.toFixed(0)} µs/write (not atomic)`);
  console.log(`  resolveEnv, 50 vars (fieldRef, resource, $()): ${env.toFixed(1)} µs/container`);
  console.log(`  floor: copying 50 literal env values         : ${envFloor.toFixed(1)} µs/container`);
  emit('downward.write_atomically_us', changed, 'µs', { name: 'fs.writeFile of the same 10 files (not atomic)', value: floor });
} finally {
  await fs.rm(root, { recursive: true, force: true });
}
