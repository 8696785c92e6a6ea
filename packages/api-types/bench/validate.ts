/**
 * Validated pods per second for a realistic multi-container pod (init container, sidecar with a
 * startup probe, two containers with ports, env incl. downward API, probes, resources, three
 * volumes), next to a floor measured in the same run: `JSON.parse(JSON.stringify(pod))`.
 *
 * - The pipeline lines start from the pod's JSON text, as the API server receives it.
 * - The headline ("validated pods per second") is defaults + validation, as the API server runs
 *   them on a pod it has just decoded: each run decodes batches of distinct pods untimed, then
 *   times defaulting and validating each pod of the batch once. Validating one object over and
 *   over would flatter the figure (its memory stays in cache and it is never young), so no line
 *   does that.
 *
 *   npx tsx --conditions=@peapod/source packages/api-types/bench/validate.ts [--quick]
 *
 * Prints the median of RUNS runs of N pods each, single-threaded, per second of CPU time and of wall time.
 */
import { RESOURCES, applyDefaults, decodeObject, validateObject, type Pod } from '../src/index.js';
import { webPod } from '../src/testdata/objects.js';
// nx-ignore-next-line -- a dev-time script helper, not a dependency of the package
import { emit } from '../../../tools/emit.mjs';

const quick = process.argv.includes('--quick');
const N = quick ? 2_000 : 20_000;
const RUNS = quick ? 3 : 7;
/** Pods decoded ahead of the timed loop: bounds the memory the headline holds at once. */
const BATCH = 100;
const text = JSON.stringify(webPod());

interface Rate {
  cpu: number;
  wall: number;
}
const sample = () => ({ cpu: process.cpuUsage(), wall: process.hrtime.bigint() });
const elapsed = (s: ReturnType<typeof sample>): Rate => {
  const c = process.cpuUsage(s.cpu);
  return { cpu: (c.user + c.system) / 1e6, wall: Number(process.hrtime.bigint() - s.wall) / 1e9 };
};

/**
 * Rate per second of CPU time used by this process (user + system), so that other load on the
 * machine does not count against us; wall-clock rate alongside. `run` does N operations and
 * returns the seconds they took (it may leave untimed preparation out).
 */
const measure = (label: string, run: (n: number) => Rate) => {
  run(2_000); // warm up the JIT
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t = run(N);
    cpu.push(N / t.cpu);
    wall.push(N / t.wall);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const [c, w] = [median(cpu), median(wall)];
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US').padStart(9);
  console.log(`${label.padEnd(52)} ${fmt(c)} pods/cpu-s (${(1e6 / c).toFixed(1)} µs)  ${fmt(w)} pods/s wall`);
  return c;
};

/** Times `step` n times in a row. */
const timed = (step: () => void) => (n: number) => {
  const s = sample();
  for (let i = 0; i < n; i++) step();
  return elapsed(s);
};

const check = (pod: Pod) => {
  const errs = validateObject(RESOURCES.pods, pod);
  if (errs.length) throw new Error(`benchmark pod is invalid: ${errs[0].message}`);
};

console.log(`node ${process.version}, ${N} pods x ${RUNS} runs, median; pod JSON ${text.length} bytes`);
const floor = measure('floor: JSON.parse(JSON.stringify(pod))', timed(() => {
  JSON.parse(JSON.stringify(JSON.parse(text)));
}));
measure('JSON.parse + decode', timed(() => {
  decodeObject(RESOURCES.pods, JSON.parse(text));
}));
const full = measure('JSON.parse + decode + defaults + validation', timed(() => {
  const { object } = decodeObject(RESOURCES.pods, JSON.parse(text));
  check(applyDefaults(RESOURCES.pods, object));
}));
const validation = measure('defaults + validation of freshly decoded pods', (n) => {
  const total: Rate = { cpu: 0, wall: 0 };
  for (let done = 0; done < n; done += BATCH) {
    const pods = Array.from({ length: Math.min(BATCH, n - done) }, () => decodeObject(RESOURCES.pods, JSON.parse(text)).object);
    const s = sample();
    for (const pod of pods) check(applyDefaults(RESOURCES.pods, pod));
    const t = elapsed(s);
    total.cpu += t.cpu;
    total.wall += t.wall;
  }
  return total;
});
console.log(`full pipeline / floor: ${(full / floor).toFixed(2)}`);
emit('api-types.validation_per_cpu_s', validation, 'pods/cpu-s');
emit('api-types.validate_per_cpu_s', full, 'pods/cpu-s', { name: 'JSON.parse(JSON.stringify(pod))', value: floor });
