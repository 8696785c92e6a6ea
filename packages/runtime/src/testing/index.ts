export { FakeHost, FakeRuntime, imageId } from './fake-runtime.js';
export type { FakeRuntimeCall, FakeRuntimeOptions } from './fake-runtime.js';
export { FAKE_SCRIPT_ENV, fakeWorkload } from './script.js';
export type { ContainerScript, ExecAnswer, ScriptStep } from './script.js';
export { engineSkipReason, startPrivateEngine } from './engines.js';
export type { EngineKind, PrivateEngine } from './engines.js';
export { latencyBenchArgs, percentile, runLatencyBench, timed } from './latency-bench.js';
export type { LatencyBench, LatencyBenchOptions, LatencyBenchResult } from './latency-bench.js';
