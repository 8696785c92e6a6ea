import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';

/**
 * The shape shared by the adapters' start-latency benchmarks: samplers measured interleaved (one
 * sample of each per run, so load drifts hit them alike), bursts measured once per round, each
 * reported next to the floor measured in the same run (the first entry of each) as a ratio.
 */
export interface LatencyBench {
  /** Each returns one sample in ms; the first is the floor. */
  samplers: Record<string, () => Promise<number>>;
  /** Each returns the ms one burst took (e.g. 20 starts back-to-back); the first is the floor. */
  bursts?: Record<string, () => Promise<number>>;
  /** Removes what the samplers and bursts started; called after the samples and after each burst. */
  clean(): Promise<void>;
}

export interface LatencyBenchOptions {
  /** Samples of each sampler per round. */
  runs: number;
  rounds: number;
}

/** `[runs] [rounds]` from the command line, or `--quick` (5 runs, 1 round); defaults 20 and 3. */
export function latencyBenchArgs(argv: readonly string[] = process.argv.slice(2)): LatencyBenchOptions {
  if (argv.includes('--quick')) return { runs: 5, rounds: 1 };
  const [runs = 20, rounds = 3] = argv.filter((a) => !a.startsWith('--')).map(Number);
  return { runs, rounds };
}

export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** Milliseconds `fn` takes. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Medians over rounds: each sampler's p50, each burst's time (ms). */
export interface LatencyBenchResult {
  p50: Record<string, number>;
  bursts: Record<string, number>;
}

/** Runs the bench and prints per-round figures, then a Markdown table of medians over rounds. */
export async function runLatencyBench(bench: LatencyBench, { runs, rounds }: LatencyBenchOptions): Promise<LatencyBenchResult> {
  const names = Object.keys(bench.samplers);
  const p50s = new Map<string, number[]>(names.map((n) => [n, []]));
  const p99s = new Map<string, number[]>(names.map((n) => [n, []]));
  const bursts = new Map<string, number[]>(Object.keys(bench.bursts ?? {}).map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    const samples = new Map<string, number[]>(names.map((n) => [n, []]));
    for (let i = 0; i < runs; i++) for (const n of names) samples.get(n)!.push(await bench.samplers[n]());
    await bench.clean();
    for (const [n, xs] of samples) {
      p50s.get(n)!.push(percentile(xs, 50));
      p99s.get(n)!.push(percentile(xs, 99));
    }
    for (const [n, burst] of Object.entries(bench.bursts ?? {})) {
      bursts.get(n)!.push(await burst());
      await bench.clean();
    }
    const line = [...samples].map(([n, xs]) => `${n} p50 ${percentile(xs, 50).toFixed(1)} p99 ${percentile(xs, 99).toFixed(1)}`);
    for (const [n, xs] of bursts) line.push(`${n} ${xs.at(-1)!.toFixed(0)}`);
    console.log(`round ${r + 1} (ms): ${line.join('; ')}`);
  }
  const med = (xs: number[]) => percentile(xs, 50);
  const ratio = (x: number, floor: number) => `${x >= floor ? '+' : ''}${(((x - floor) / floor) * 100).toFixed(0)} %`;
  const floor = med(p50s.get(names[0])!);
  console.log(`\nmedian over ${rounds} round(s) of ${runs}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  console.log('| measure | p50 | p99 | p50 vs floor |\n|---|---|---|---|');
  for (const n of names) console.log(`| ${n} | ${med(p50s.get(n)!).toFixed(1)} ms | ${med(p99s.get(n)!).toFixed(1)} ms | ${n === names[0] ? 'floor' : ratio(med(p50s.get(n)!), floor)} |`);
  const burstFloor = med([...bursts.values()][0] ?? []);
  [...bursts].forEach(([n, xs], i) => console.log(`| ${n} | ${med(xs).toFixed(0)} ms | | ${i === 0 ? 'floor' : ratio(med(xs), burstFloor)} |`));
  return {
    p50: Object.fromEntries([...p50s].map(([n, xs]) => [n, med(xs)])),
    bursts: Object.fromEntries([...bursts].map(([n, xs]) => [n, med(xs)])),
  };
}
