/**
 * What a fake container does once started. Scripts are plain data (JSON-able) unless an `exec`
 * function is given, so a pod spec can carry one in the `PEAPOD_FAKE_SCRIPT` env var and a test
 * can hand one over through `FakeRuntimeOptions.script`.
 */
export type ScriptStep =
  /** Writes `stdout` plus a newline to stdout. */
  | { stdout: string }
  | { stderr: string }
  /** Waits this many milliseconds of the runtime's clock. */
  | { sleep: number }
  /** Writes a file at a container path (through the container's mounts when one covers it). */
  | { writeFile: string; content: string }
  /** Copies a file's content to stdout; a missing file writes an error to stderr and goes on. */
  | { catFile: string };

/** How a fake process answers an exec (probes, hooks, `kubectl exec`). */
export interface ExecAnswer {
  exitCode?: number;
  stdout?: string;
  stderr?: string;
  /** The command runs this long (runtime clock) before answering; a shorter exec timeout fails it. */
  delayMs?: number;
}

export interface ContainerScript {
  steps?: ScriptStep[];
  /** Exit with this code after the steps; when absent the container runs until it is stopped. */
  exitCode?: number;
  /**
   * What SIGTERM (or the configured stop signal) does: exit with a code (0 = clean, else a crash),
   * optionally after a delay, or nothing, so only the kill after the grace period ends it.
   * Default `{ exit: 0 }`.
   */
  onSigterm?: { exit: number; afterMs?: number } | 'ignore';
  /**
   * Exec answers by command (`cmd.join(' ')`), `'*'` for any other; or a function of the command
   * (for answers that change during a test). Unlisted commands exit 0 with no output.
   */
  exec?: Record<string, ExecAnswer> | ((cmd: string[]) => ExecAnswer);
  /** createContainer fails with `CreateContainerError` and this message. */
  failCreate?: string;
  /** startContainer fails with `RunContainerError` and this message (the container ends Exited, StartError). */
  failStart?: string;
  /** Ports on which a port-forward reaches an echo server. */
  listen?: number[];
  /** Resident memory the container reports in stats. */
  memoryBytes?: number;
}

/** Env var through which a pod spec scripts its fake container. */
export const FAKE_SCRIPT_ENV = 'PEAPOD_FAKE_SCRIPT';

/** Runs a script on the fake through its env var (the `workload` the fake's conformance run uses). */
export function fakeWorkload(script: ContainerScript): { image: { image: string }; command: string[]; args: string[]; envs: { key: string; value: string }[] } {
  return { image: { image: 'fake' }, command: [], args: [], envs: [{ key: FAKE_SCRIPT_ENV, value: JSON.stringify(script) }] };
}
