/**
 * `pnpm bench [--quick] [--update-baseline] [--only ID,...] [--no-build]`: runs every benchmark script one
 * after another (never in parallel, so they do not disturb each other), each under a time limit,
 * and collects the BENCH lines they print (see tools/emit.mjs).
 * - Full run: writes docs/benchmarks.md (summary table, then each script's own output), one SVG
 *   chart per metric under docs/benchmarks/, and the summary table into README.md (between the
 *   bench:summary markers).
 * - `--quick`: each script's short mode, no docs written; compares every gated metric with
 *   tools/bench/baseline.json (its ratio to the same-run floor, or its figure where it has no
 *   floor), reruns once each script with a metric more than 2x worse, and exits non-zero naming
 *   each metric that is still more than 2x worse (`--update-baseline` rewrites the baseline instead).
 * Exits non-zero when a script fails or times out, too. Each script's wall and CPU seconds are
 * printed at the end, so the quick mode's budget can be judged on a loaded machine.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { barChart, barsOf, checkWithRerun, defOf, describeFailure, failed, mergeBaselines, parseBenchLines, replaceBetweenMarkers, summaryTable, toBaseline, verdictTable, type Baseline, type BenchResult } from './report.js';

interface Script {
  id: string;
  title: string;
  path: string;
  /** Arguments for the full run and for --quick; no `quick` entry means the script is left out of --quick. */
  args: { full: string[]; quick?: string[] };
  /** Time limit of the full run, in minutes; a quick run gets QUICK_MINUTES. */
  minutes: number;
  /** Commands that must be on PATH, else the script is skipped (and its metrics are not required). */
  needs?: string[];
  /** Needs `apps/peapod` and the packages under it built (it runs the real `peapod up`, or the API server from dist/). */
  build?: boolean;
  /** The metrics it reports, so a skipped script's metrics are not counted as missing. */
  metrics: string[];
}

export const SCRIPTS: Script[] = [
  { id: 'up', title: '`peapod up`: cold start and idle memory', path: 'tools/bench/src/up.ts', args: { full: [], quick: ['--quick'] }, minutes: 4, build: true, metrics: ['up.cold_start_ms', 'up.idle_rss_mb'] },
  { id: 'cluster', title: '`peapod up --fake-nodes`: pods to Running, memory per node and per pod', path: 'tools/bench/src/cluster.ts', args: { full: [], quick: ['--quick'] }, minutes: 20, build: true, metrics: ['cluster.pods_running_s', 'cluster.mem_per_node_kb', 'cluster.mem_per_pod_kb'] },
  { id: 'validate', title: 'API types: validation', path: 'packages/api-types/bench/validate.ts', args: { full: [], quick: ['--quick'] }, minutes: 3, metrics: ['api-types.validate_per_cpu_s', 'api-types.validation_per_cpu_s'] },
  // Left out of --quick: its few seconds of warm-up would take a tenth of the quick budget, and validate already gates api-types' CPU.
  { id: 'status-patch', title: 'API types: a pod status patch (merge, managedFields, decode)', path: 'packages/api-types/bench/status-patch.ts', args: { full: [] }, minutes: 3, metrics: ['api-types.status_patch_us'] },
  { id: 'store', title: 'Store: writes and watch fan-out', path: 'packages/store/bench/store.ts', args: { full: [], quick: ['--quick'] }, minutes: 4, needs: ['etcd'], metrics: ['store.sqlite.writes_per_s', 'store.etcd.writes_per_s', 'store.cpu_us_per_update', 'store.watch_fanout_p50_ms'] },
  { id: 'creates', title: 'API server: creates', path: 'packages/apiserver/bench/creates.ts', args: { full: [], quick: ['--quick'] }, minutes: 4, build: true, metrics: ['apiserver.creates_per_s', 'apiserver.create_p50_ms', 'apiserver.create_p99_ms'] },
  { id: 'informer', title: 'Client: informers and work queue', path: 'packages/client/bench/informer.bench.ts', args: { full: [], quick: ['--quick'] }, minutes: 3, metrics: ['client.informer_watch_ms'] },
  { id: 'scheduler', title: 'Scheduler: SchedulingBasic', path: 'tools/bench/src/scheduler.ts', args: { full: [], quick: ['--quick'] }, minutes: 8, metrics: ['scheduler.pods_per_s'] },
  { id: 'kubelet', title: 'Kubelet: pods to Running', path: 'tools/bench/src/kubelet.ts', args: { full: [], quick: ['--quick'] }, minutes: 4, metrics: ['kubelet.pods_per_s'] },
  // Left out of --quick: its quiet window must hold every pod's first resync (60-90 s) to show the quiet cost.
  { id: 'quiet-nodes', title: 'Kubelet: 1,000 quiet fake nodes with 30 Running pods each', path: 'packages/kubelet/bench/quiet-nodes.ts', args: { full: [] }, minutes: 6, metrics: ['kubelet.quiet_nodes_core_pct'] },
  { id: 'kubelet-start', title: 'Kubelet: pod start latency through the API (process runtime)', path: 'tools/bench/src/kubelet-start.ts', args: { full: [], quick: ['--quick'] }, minutes: 4, metrics: ['kubelet.process_pod_start_p50_ms'] },
  { id: 'controllers', title: 'Controllers: a 1,000-replica Deployment', path: 'tools/bench/src/controllers.ts', args: { full: [], quick: ['--quick'] }, minutes: 6, metrics: ['controllers.deployment_available_s', 'controllers.rolling_update_s', 'controllers.up_deployment_available_s', 'controllers.up_rolling_update_s'] },
  { id: 'downward', title: 'Downward API', path: 'packages/downward-api/bench/downward.bench.ts', args: { full: [], quick: ['--quick'] }, minutes: 2, metrics: ['downward.write_atomically_us'] },
  { id: 'process', title: 'Process runtime: start latency', path: 'packages/runtime-adapters/process/bench/start-latency.ts', args: { full: [], quick: ['20', '1'] }, minutes: 4, needs: ['bwrap'], metrics: ['runtime.process.start_p50_ms'] },
  // Starting a private Docker Engine or containerd with its registry takes tens of seconds, more than --quick's budget.
  { id: 'docker', title: 'Docker runtime: start latency', path: 'packages/runtime-adapters/docker/bench/start-latency.ts', args: { full: [] }, minutes: 6, needs: ['dockerd', 'docker-registry'], metrics: ['runtime.docker.start_p50_ms', 'runtime.docker.api_start_p50_ms', 'runtime.docker.burst20_running_ms'] },
  { id: 'containerd', title: 'containerd runtime: start latency', path: 'packages/runtime-adapters/containerd/bench/start-latency.ts', args: { full: [] }, minutes: 6, needs: ['containerd', 'docker-registry'], metrics: ['runtime.containerd.start_p50_ms'] },
];

const ROOT = resolve(import.meta.dirname, '../../..');
const BASELINE = join(ROOT, 'tools/bench/baseline.json');
const FACTOR = 2;
/** Per-script limit with --quick: far above an idle machine's few seconds, so only a hang hits it. */
const QUICK_MINUTES = 3;

const readBaseline = (): Baseline => existsSync(BASELINE) ? JSON.parse(readFileSync(BASELINE, 'utf8')) as Baseline : { note: 'none yet', costs: {} };
const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

interface Outcome { script: Script; stdout: string; seconds: number; cpuSeconds?: number; error?: string; skipped?: string; results: BenchResult[] }

const TICKS_PER_S = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
/**
 * CPU seconds of this process's reaped children and their reaped descendants (Linux: cutime +
 * cstime in /proc/self/stat), so the difference across one script is the CPU of its whole tree,
 * whatever else loads the machine. Undefined where /proc is missing.
 */
function childCpuSeconds(): number | undefined {
  if (!existsSync('/proc/self/stat')) return undefined;
  const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /s, '').split(' ');
  // Fields after "(comm) " start at field 3 (state); cutime and cstime are fields 16 and 17.
  return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_S;
}

/**
 * Runs one script in its own process group so that a timeout ends it and whatever it spawned
 * (SIGTERM, then SIGKILL 10 s later). Its stdout is echoed live and kept; stderr passes through.
 */
function runScript(s: Script, quick: boolean): Promise<Outcome> {
  const limitMs = (quick ? QUICK_MINUTES : s.minutes) * 60_000;
  const args = ['--expose-gc', '--import', 'tsx', '--conditions=@peapod/source', s.path, ...(quick ? s.args.quick! : s.args.full)];
  const t0 = performance.now();
  const cpu0 = childCpuSeconds();
  return new Promise((done) => {
    // Scripts that measure the build get PEAPOD_BENCH_BUILT: the runner built it (or was told it is built).
    const env = s.build ? { ...process.env, PEAPOD_BENCH_BUILT: '1' } : process.env;
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], detached: true, env });
    let stdout = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => { stdout += d; process.stdout.write(d); });
    const kill = (sig: NodeJS.Signals) => { try { process.kill(-child.pid!, sig); } catch { /* already gone */ } };
    const timer = setTimeout(() => { timedOut = true; kill('SIGTERM'); setTimeout(() => kill('SIGKILL'), 10_000).unref(); }, limitMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const seconds = (performance.now() - t0) / 1000;
      const cpu1 = childCpuSeconds();
      const cpuSeconds = cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0;
      let results: BenchResult[] = [];
      let error = timedOut ? `timed out after ${limitMs / 60_000} min` : code !== 0 ? `exit ${code ?? signal}` : undefined;
      try {
        results = parseBenchLines(stdout, s.path);
      } catch (err) {
        error ??= (err as Error).message;
      }
      done({ script: s, stdout, seconds, cpuSeconds, error, results });
    });
  });
}

function buildApp(): string | undefined {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'apps/peapod'], { cwd: ROOT, stdio: 'inherit' });
  return r.status === 0 ? undefined : `build of apps/peapod failed (exit ${r.status})`;
}

function writeDocs(outcomes: readonly Outcome[], results: readonly BenchResult[]): void {
  const chartDir = join(ROOT, 'docs/benchmarks');
  rmSync(chartDir, { recursive: true, force: true });
  mkdirSync(chartDir, { recursive: true });
  for (const r of results) {
    const d = defOf(r.metric, r.unit);
    writeFileSync(join(chartDir, `${r.metric}.svg`), barChart(`${d.title} (${d.better} is better)`, r.unit, barsOf(r), d.target));
  }
  const [l1, l5] = loadavg();
  const charts = results.map((r) => `![${defOf(r.metric, r.unit).title}](benchmarks/${r.metric}.svg)`).join('\n');
  const sections = outcomes.map((o) => `## ${o.script.title}\n\n\`${o.script.path}\` — ${o.skipped ? `skipped: ${o.skipped}` : o.error ? `FAILED: ${o.error}` : `${o.seconds.toFixed(0)} s`}\n\n${o.stdout.split('\n').filter((l) => !l.startsWith('BENCH ')).join('\n').trim()}\n`);
  const readme = join(ROOT, 'README.md');
  writeFileSync(readme, replaceBetweenMarkers(readFileSync(readme, 'utf8'), `${summaryTable(results)}\n\nFrom \`pnpm bench\` on ${new Date().toISOString().slice(0, 10)} (${cpus().length} cores, load average ${loadavg()[0].toFixed(1)}); charts and details in [docs/benchmarks.md](docs/benchmarks.md).`));
  writeFileSync(join(ROOT, 'docs/benchmarks.md'), `# Benchmarks

Generated by \`pnpm bench\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, load average ${l1.toFixed(1)} (1 min) / ${l5.toFixed(1)} (5 min) at the end.
Each figure is a median of several runs, next to a floor or peer measured in the same run on the same machine;
"Peapod ÷ floor" is the ratio the \`--quick\` regression check follows (machines differ, ratios much less).
Published anchors were measured elsewhere, on other hardware: read them as orders of magnitude.
How each script measures is described at the top of the script and in [tools/bench/README.md](../tools/bench/README.md).

${summaryTable(results, 'benchmarks')}

${charts}

${sections.join('\n')}`);
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const update = argv.includes('--update-baseline');
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? new Set(argv[onlyAt + 1]?.split(',')) : undefined;
  const selected = SCRIPTS.filter((s) => (!only || only.has(s.id)) && (!quick || s.args.quick));
  const t0 = performance.now();

  const buildError = selected.some((s) => s.build) && !argv.includes('--no-build') ? buildApp() : undefined;
  const buildSeconds = (performance.now() - t0) / 1000;
  const run = async (s: Script, label = ''): Promise<Outcome> => {
    console.log(`\n=== ${s.title}${label} (${s.path})`);
    const o = await runScript(s, quick);
    console.log(`=== ${s.id}: ${o.error ? `FAILED: ${o.error}` : 'done'} after ${o.seconds.toFixed(1)} s${o.cpuSeconds === undefined ? '' : ` (CPU ${o.cpuSeconds.toFixed(1)} s)`}`);
    return o;
  };
  const outcomes: Outcome[] = [];
  for (const s of selected) {
    const missing = s.needs?.filter((c) => !onPath(c)) ?? [];
    if (missing.length) {
      console.log(`\n=== ${s.title}: skipped (${missing.join(', ')} not installed; tools/setup.sh installs them)`);
      outcomes.push({ script: s, stdout: '', seconds: 0, skipped: `${missing.join(', ')} not installed`, results: [] });
    } else if (s.build && buildError) {
      outcomes.push({ script: s, stdout: '', seconds: 0, error: buildError, results: [] });
    } else {
      outcomes.push(await run(s));
    }
  }

  const results = outcomes.flatMap((o) => o.results);
  const firstPass = outcomes.length;
  const errors = outcomes.filter((o) => o.error).map((o) => `${o.script.id}: ${o.error}`);
  console.log(`\n${summaryTable(results)}\n`);
  if (!quick) {
    writeDocs(outcomes, results);
    console.log('wrote docs/benchmarks.md, docs/benchmarks/*.svg and the summary in README.md');
  } else if (update) {
    const [l1] = loadavg();
    const what = `pnpm bench --quick --update-baseline${only ? ` --only ${[...only].join(',')}` : ''}, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, load average ${l1.toFixed(1)}`;
    // With --only, the other scripts' entries (and the note on where they came from) stay.
    const baseline = only ? mergeBaselines(readBaseline(), toBaseline(results, what)) : toBaseline(results, what);
    writeFileSync(BASELINE, `${JSON.stringify(baseline, null, 2)}\n`);
    console.log(`wrote ${BASELINE}`);
  } else {
    const ok = new Set(outcomes.filter((o) => !o.skipped && !o.error).map((o) => o.script.id));
    const skipped = new Set(SCRIPTS.filter((s) => !ok.has(s.id)).flatMap((s) => s.metrics));
    const verdicts = await checkWithRerun(results, readBaseline(), FACTOR, skipped, async (paths, first) => {
      console.log(`\n${verdictTable(first, FACTOR)}\n\nrerunning once: ${first.filter((v) => v.status === 'regressed').map((v) => describeFailure(v, FACTOR)).join('; ')}`);
      const again: BenchResult[] = [];
      for (const s of SCRIPTS.filter((x) => paths.includes(x.path))) {
        const o = await run(s, ': rerun after a regression');
        outcomes.push({ ...o, script: { ...s, id: `${s.id} (rerun)` } });
        if (o.error) errors.push(`${s.id} (rerun): ${o.error}`);
        again.push(...o.results);
      }
      return again;
    });
    console.log(`\n${verdictTable(verdicts, FACTOR)}\n`);
    for (const v of failed(verdicts)) errors.push(describeFailure(v, FACTOR));
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(0);
  const cpu = outcomes.reduce((sum, o) => sum + (o.cpuSeconds ?? 0), 0);
  console.log(`time: build ${buildSeconds.toFixed(1)} s; ${outcomes.filter((o) => !o.skipped).map((o) => `${o.script.id} ${o.seconds.toFixed(1)} s${o.cpuSeconds === undefined ? '' : ` (CPU ${o.cpuSeconds.toFixed(1)})`}`).join(', ')}; scripts' CPU ${cpu.toFixed(0)} s; load average ${loadavg()[0].toFixed(1)}`);
  if (errors.length) {
    console.log(`bench: ${errors.length} problem(s) in ${secs} s:\n${errors.map((e) => `  - ${e}`).join('\n')}`);
    return 1;
  }
  console.log(`bench: ${results.length} metrics from ${outcomes.slice(0, firstPass).filter((o) => !o.skipped).length} scripts (${outcomes.length - firstPass} rerun) in ${secs} s, no regression`);
  return 0;
}

process.exitCode = await main();
