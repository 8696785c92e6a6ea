/**
 * The headline metrics `pnpm bench` reports: what each one means, which way is better, Peapod's
 * own target and the published figure it is read against (with its source). Scripts emit only
 * the measured value and the floor measured in the same run (see tools/emit.mjs); everything a reader
 * needs to judge the figure lives here, once.
 */

export interface Anchor {
  /** How the reader sees it, e.g. "kind ~14 s". */
  text: string;
  /** The anchor in the metric's unit, when it is comparable (drawn as a bar). */
  value?: number;
  /** Where the figure comes from. */
  source: string;
}

export interface MetricDef {
  title: string;
  better: 'higher' | 'lower';
  anchors?: Anchor[];
  /** Peapod's goal in the metric's unit (met when at or past it in the `better` direction). */
  target?: number;
  /**
   * Whether `--quick` fails when this metric regresses beyond the allowed factor: its ratio to
   * the same-run floor, or its figure itself when it has no floor. Off for figures that swing by
   * more than that from run to run on a loaded machine (tail latencies), see the noise figures in
   * tools/bench/README.md.
   */
  gate: boolean;
}

const SCHEDULER_PERF = 'https://github.com/kubernetes/kubernetes/blob/master/test/integration/scheduler_perf/misc/performance-config.yaml';
const POD_STARTUP_SLO = 'https://github.com/kubernetes/community/blob/master/sig-scalability/slos/pod_startup_latency.md';
const K3S_PROFILE = 'https://docs.k3s.io/reference/resource-profiling';
const ISSUE = 'quoted in Peapod issue 11; primary source not checked';

const startupSlo: Anchor = { text: 'pod startup SLO p99 <= 5 s', value: 5000, source: POD_STARTUP_SLO };

export const METRICS = {
  'up.cold_start_ms': {
    title: 'cold start of `peapod up` to ready',
    better: 'lower',
    target: 1500,
    anchors: [{ text: 'kind ~14 s', value: 14_000, source: ISSUE }, { text: 'k3d ~13 s', value: 13_000, source: ISSUE }],
    gate: true,
  },
  'up.idle_rss_mb': {
    title: 'idle RSS of `peapod up` (one node, no pods)',
    better: 'lower',
    target: 120,
    anchors: [{ text: 'k3s ~500 MB', value: 500, source: K3S_PROFILE }, { text: 'k0s ~330 MB', value: 330, source: ISSUE }],
    gate: true,
  },
  'apiserver.creates_per_s': { title: 'API pod creates/s over HTTPS, 32 clients', better: 'higher', gate: true },
  // Against a sub-millisecond floor the ratio follows the machine's load (cost 18.6 at load 20, 3.1 at load 3).
  'apiserver.create_p50_ms': { title: 'API pod create latency p50, 1 client', better: 'lower', gate: false },
  'apiserver.create_p99_ms': { title: 'API pod create latency p99, 1 client', better: 'lower', gate: false },
  'store.sqlite.writes_per_s': { title: 'store writes/s, sqlite backend, 32 writers', better: 'higher', gate: true },
  'store.etcd.writes_per_s': { title: 'store writes/s, etcd backend, 32 writers', better: 'higher', gate: true },
  'store.cpu_us_per_update': { title: 'store CPU per status update of a 3.5 KB Running pod (watch cache over sqlite, one HTTP-style watcher)', better: 'lower', gate: true },
  'store.watch_fanout_p50_ms': { title: 'watch fan-out to 1,000 watchers, write to last delivery p50', better: 'lower', gate: false },
  'scheduler.pods_per_s': {
    title: 'scheduler throughput, SchedulingBasic (5,000 nodes; 500 with --quick)',
    better: 'higher',
    anchors: [{ text: 'kube-scheduler CI threshold 680 pods/s (5,000 nodes / 10,000 pods)', value: 680, source: SCHEDULER_PERF }],
    gate: true,
  },
  'cluster.pods_running_s': {
    title: '10,000 pods to Running on 1,000 fake nodes, end to end (smaller with --quick)',
    better: 'lower',
    target: 10,
    anchors: [{ text: 'KWOK 10,000 pods Running within 60 s', value: 60, source: ISSUE }],
    gate: true,
  },
  'cluster.cpu_ms_per_pod': { title: "`peapod up`'s CPU per pod taken to Running on 1,000 fake nodes", better: 'lower', gate: false },
  // Two processes' RSS differ by a few MB run to run; with --quick's few nodes that swamps the delta.
  'cluster.mem_per_node_kb': { title: 'RSS per fake node of `peapod up`', better: 'lower', target: 512, gate: false },
  'cluster.mem_per_pod_kb': { title: 'RSS per Running pod of `peapod up` (after GC)', better: 'lower', target: 50, gate: true },
  'kubelet.pods_per_s': { title: 'pods to Running/s, 10 kubelets via the client, fake runtime', better: 'higher', gate: true },
  'kubelet.quiet_nodes_core_pct': { title: '1,000 fake nodes with 30,000 Running pods, nothing changing (kubelets alone)', better: 'lower', gate: false },
  'kubelet.process_pod_start_p50_ms': { title: 'pod created to Running p50 through the API, process runtime', better: 'lower', anchors: [startupSlo], gate: true },
  'controllers.deployment_available_s': { title: '1,000-replica Deployment (500 with --quick) create to all available', better: 'lower', target: 5, gate: true },
  'controllers.rolling_update_s': { title: '1,000-replica Deployment (500 with --quick) rolling update', better: 'lower', target: 10, gate: true },
  'controllers.up_deployment_available_s': { title: '1,000-replica Deployment create to all available on `peapod up --fake-nodes 100`', better: 'lower', target: 5, gate: true },
  'controllers.up_rolling_update_s': { title: '1,000-replica Deployment rolling update on `peapod up --fake-nodes 100`', better: 'lower', target: 10, gate: true },
  'runtime.process.start_p50_ms': { title: 'pod start p50, process runtime', better: 'lower', anchors: [startupSlo], gate: true },
  'runtime.docker.start_p50_ms': { title: 'pod start p50, Docker runtime', better: 'lower', anchors: [startupSlo], gate: true },
  'runtime.docker.api_start_p50_ms': { title: 'pod created to Running p50 through `peapod up --runtime docker`', better: 'lower', anchors: [startupSlo], gate: true },
  'runtime.docker.burst20_running_ms': { title: '20 pods created to all Running through `peapod up --runtime docker`', better: 'lower', gate: true },
  'runtime.containerd.start_p50_ms': { title: 'pod start p50, containerd runtime', better: 'lower', anchors: [startupSlo], gate: true },
  'api-types.validate_per_cpu_s': { title: 'pod decode + defaults + validation per CPU-second', better: 'higher', gate: true },
  // No floor of its own (pure CPU work on an object in memory): gated on the figure itself, which
  // counts CPU seconds rather than wall time and so moves little with the machine's load.
  'api-types.validation_per_cpu_s': { title: 'pod defaults + validation per CPU-second (freshly decoded pods)', better: 'higher', target: 20_000, gate: true },
  'api-types.status_patch_us': { title: "CPU of a kubelet's first status patch of a pod (Pending -> Running) in api-types", better: 'lower', gate: true },
  'client.informer_watch_ms': { title: 'informer: 100,000 watch events through cache, index, handler', better: 'lower', gate: true },
  'downward.write_atomically_us': { title: 'downward API atomic write of 10 files', better: 'lower', gate: true },
} satisfies Record<string, MetricDef>;

export type MetricId = keyof typeof METRICS;

export const metricDef = (id: string): MetricDef | undefined => (METRICS as Record<string, MetricDef>)[id];
