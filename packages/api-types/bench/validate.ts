/**
 * Validated + defaulted pods per second for a realistic multi-container pod (init container,
 * sidecar with a startup probe, two containers with ports, env incl. downward API, probes,
 * resources, three volumes), next to a floor measured in the same run: `JSON.parse(JSON.stringify(pod))`.
 * Each pipeline step starts from the pod's JSON text, as the API server receives it; the last line
 * times validation alone on the decoded, defaulted pod.
 *
 *   npx tsx --conditions=@peapod/source packages/api-types/bench/validate.ts [--quick]
 *
 * Prints the median of RUNS runs of N pods each, single-threaded, per second of CPU time and of wall time.
 */
import { RESOURCES, applyDefaults, decodeObject, validateObject } from '../src/index.js';
import { webPod } from '../src/testdata/objects.js';
// nx-ignore-next-line -- a dev-time script helper, not a dependency of the package
import { emit } from '../../../tools/bench/src/emit.mjs';

const quick = process.argv.includes('--quick');
const N = quick ? 2_000 : 20_000;
const RUNS = quick ? 3 : 7;
const text = JSON.stringify(webPod());

/**
 * Rate per second of CPU time used by this process (user + system), so that other load on the
 * machine does not count against us; wall-clock rate alongside.
 */
const measure = (label: string, step: () => void) => {
  for (let i = 0; i < 2_000; i++) step(); // warm up the JIT
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) step();
    const dw = Number(process.hrtime.bigint() - t0) / 1e9;
    const dc = process.cpuUsage(c0);
    cpu.push(N / ((dc.user + dc.system) / 1e6));
    wall.push(N / dw);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const [c, w] = [median(cpu), median(wall)];
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US').padStart(9);
  console.log(`${label.padEnd(52)} ${fmt(c)} pods/cpu-s (${(1e6 / c).toFixed(1)} µs)  ${fmt(w)} pods/s wall`);
  return c;
};

console.log(`node ${process.version}, ${N} pods x ${RUNS} runs, median; pod JSON ${text.length} bytes`);
const floor = measure('floor: JSON.parse(JSON.stringify(pod))', () => {
  JSON.parse(JSON.stringify(JSON.parse(text)));
});
measure('JSON.parse + decode (unknown-field scan + zod parse)', () => {
  decodeObject(RESOURCES.pods, JSON.parse(text));
});
const full = measure('JSON.parse + decode + defaults + validation', () => {
  const { object } = decodeObject(RESOURCES.pods, JSON.parse(text));
  applyDefaults(RESOURCES.pods, object);
  const errs = validateObject(RESOURCES.pods, object);
  if (errs.length) throw new Error(`benchmark pod is invalid: ${errs[0].message}`);
});
// Validation alone, as the API server runs it on a decoded, defaulted pod (the "validated pods per second").
const decoded = decodeObject(RESOURCES.pods, JSON.parse(text)).object;
applyDefaults(RESOURCES.pods, decoded);
const validation = measure('validation of a decoded, defaulted pod', () => {
  validateObject(RESOURCES.pods, decoded);
});
console.log(`full pipeline / floor: ${(full / floor).toFixed(2)}`);
emit('api-types.validation_per_cpu_s', validation, 'pods/cpu-s');
emit('api-types.validate_per_cpu_s', full, 'pods/cpu-s', { name: 'JSON.parse(JSON.stringify(pod))', value: floor });
