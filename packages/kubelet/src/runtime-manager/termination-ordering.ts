import type { Pod } from '@peapod/api-types';
import type { Clock } from '@peapod/core';
import { isSidecar } from '../pod-util.js';

/**
 * Who waits for whom when a pod stops (kubelet's `terminationOrdering`): every sidecar waits until
 * all regular containers have exited and every sidecar declared after it has exited, so sidecars
 * stop after the main containers, in reverse order. Containers not running do not hold anyone up.
 */
export class TerminationOrdering {
  private readonly done = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  private readonly prereqs = new Map<string, string[]>();

  constructor(pod: Pod, running: ReadonlySet<string>, private readonly clock: Clock) {
    const spec = pod.spec!;
    const mains = spec.containers.map((c) => c.name);
    for (const name of [...mains, ...(spec.initContainers ?? []).map((c) => c.name)]) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      if (!running.has(name)) resolve();
      this.done.set(name, { promise, resolve });
    }
    let later: string | undefined;
    for (const c of [...(spec.initContainers ?? [])].reverse()) {
      if (!isSidecar(c)) continue;
      this.prereqs.set(c.name, later ? [...mains, later] : mains);
      later = c.name;
    }
  }

  /** Waits (at most `graceSeconds`, or until `signal` aborts) for the containers `name` must outlive; returns whole seconds waited. */
  async waitForTurn(name: string, graceSeconds: number, signal?: AbortSignal): Promise<number> {
    const waits = (this.prereqs.get(name) ?? []).map((n) => this.done.get(n)!.promise);
    if (!waits.length) return 0;
    const start = this.clock.now();
    const ac = new AbortController();
    const sleepSignal = signal ? AbortSignal.any([signal, ac.signal]) : ac.signal;
    await Promise.race([Promise.all(waits), this.clock.sleep(graceSeconds * 1000, sleepSignal).catch(() => undefined)]);
    ac.abort();
    return Math.floor((this.clock.now() - start) / 1000);
  }

  terminated(name: string): void {
    this.done.get(name)?.resolve();
  }
}
