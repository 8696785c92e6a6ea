/**
 * What a body costs to cross a MessagePort (PortClient <-> servePort), per side, for a 3.5 KB
 * Running pod (packages/store/bench/pod.json, as `peapod up` stores it): as JSON text, which the
 * API server's thread has already (the text its store wrote) or must make, against structured
 * clone of the object. postMessage serialises with V8's ValueSerializer, so `v8.serialize` and
 * `v8.deserialize` measure each side's share without the threads' scheduling noise.
 * Run: npx tsx --conditions=@peapod/source packages/client/bench/port.bench.ts [--quick]
 * Medians of 5 runs (1 with --quick) of 20,000 bodies, in µs of this thread's CPU per body.
 */
import { readFileSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';

const pod = JSON.parse(readFileSync(new URL('../../store/bench/pod.json', import.meta.url), 'utf8')) as object;
const text = JSON.stringify(pod);
const N = 20_000;
const RUNS = process.argv.includes('--quick') ? 1 : 5;
let sink = 0;

/** Median µs of CPU per call of `fn` (the bodies are made fresh so no run reuses another's result). */
function measure(fn: () => unknown): number {
  const runs: number[] = [];
  for (let r = 0; r < RUNS + 1; r++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < N; i++) sink += fn() ? 1 : 0;
    const c = process.cpuUsage(c0);
    if (r > 0) runs.push((c.user + c.system) / N); // the first run warms up
  }
  return runs.sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
}

const textWire = serialize(text);
const cloneWire = serialize(pod);
const rows = [
  ['sender, JSON text the store wrote (postMessage of the string)', measure(() => serialize(text))],
  ['sender, JSON text made here (JSON.stringify + postMessage)', measure(() => serialize(JSON.stringify(pod)))],
  ['sender, structured clone of the object', measure(() => serialize(pod))],
  ['receiver, JSON text (deserialize + JSON.parse)', measure(() => JSON.parse(deserialize(textWire) as string))],
  ['receiver, structured clone (deserialize)', measure(() => deserialize(cloneWire))],
  ['floor: JSON.parse(JSON.stringify(pod))', measure(() => JSON.parse(JSON.stringify(pod)))],
] as const;
console.log(`One ${text.length}-byte Running pod across a MessagePort, µs of CPU per body (median of ${RUNS}):`);
for (const [what, us] of rows) console.log(`  ${us.toFixed(2).padStart(7)}  ${what}`);
if (sink < 0) console.log(sink);
