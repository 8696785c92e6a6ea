import type { EventRecorder } from '@peapod/client';
import type { TypedEmitter } from '@peapod/core';
import type { KubeletEvents, PodRef, ProbeType } from './events.js';

const pod = (ref: PodRef) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: ref.name, namespace: ref.namespace, uid: ref.uid } });
/** Go's `time.Duration` string of a millisecond-truncated duration, as the kubelet's pull message shows it (`523ms`, `15.981s`, `1m2.5s`, `1h0m0s`). */
export function pullDuration(ms: number): string {
  const whole = Math.trunc(ms);
  if (whole > 0 && whole < 1000) return `${whole}ms`;
  const h = Math.floor(whole / 3_600_000);
  const m = Math.floor((whole % 3_600_000) / 60_000);
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${(whole % 60_000) / 1000}s`;
}

const probeName: Record<ProbeType, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

/**
 * Turns the kubelet's lifecycle notifications into the core/v1 Events `kubectl describe pod`
 * shows, with the kubelet's reasons (Pulled, Created, Started, Killing, BackOff, Unhealthy,
 * Failed, FailedMount, ...). A listener only: it never changes what the kubelet does. Returns a
 * function that unsubscribes.
 */
export function reportKubeletEvents(events: TypedEmitter<KubeletEvents>, recorder: EventRecorder): () => void {
  const handlers: { [K in keyof KubeletEvents]?: (...args: KubeletEvents[K]) => void } = {
    imagePulling: (ref, _c, image) => void recorder.event(pod(ref), 'Normal', 'Pulling', `Pulling image "${image}"`),
    imagePulled: (ref, _c, image, pull) => void recorder.event(pod(ref), 'Normal', 'Pulled', pull
      ? `Successfully pulled image "${image}" in ${pullDuration(pull.durationMs)} (${pullDuration(pull.durationMs)} including waiting). Image size: ${pull.size} bytes.`
      : `Container image "${image}" already present on machine`),
    containerStarted: (ref, c) => {
      void recorder.event(pod(ref), 'Normal', 'Created', `Created container: ${c}`);
      void recorder.event(pod(ref), 'Normal', 'Started', `Started container ${c}`);
    },
    containerFailed: (ref, _c, reason, message) => void recorder.event(pod(ref), 'Warning', 'Failed', `Error: ${message || reason}`),
    containerBackedOff: (ref, c) => void recorder.event(pod(ref), 'Warning', 'BackOff', `Back-off restarting failed container ${c} in pod ${ref.name}_${ref.namespace}(${ref.uid})`),
    containerKilling: (ref, _c, message) => void recorder.event(pod(ref), 'Normal', 'Killing', message),
    hookFailed: (ref, c, hook, message) =>
      void recorder.event(pod(ref), 'Warning', hook === 'postStart' ? 'FailedPostStartHook' : 'FailedPreStopHook', `${hook === 'postStart' ? 'PostStartHook' : 'PreStopHook'} failed for container ${c}: ${message}`),
    probeFailed: (ref, _c, probe, output) => void recorder.event(pod(ref), 'Warning', 'Unhealthy', `${probeName[probe]} probe failed: ${output}`.trimEnd()),
    volumeFailed: (ref, _v, message) => void recorder.event(pod(ref), 'Warning', 'FailedMount', message),
    podRejected: (ref, reason, message) => void recorder.event(pod(ref), 'Warning', reason, message),
    podDeadlineExceeded: (ref) => void recorder.event(pod(ref), 'Normal', 'DeadlineExceeded', 'Pod was active on the node longer than the specified deadline'),
    syncFailed: (ref, message) => void recorder.event(pod(ref), 'Warning', message.startsWith('Failed to create pod sandbox') ? 'FailedCreatePodSandBox' : 'FailedSync', message),
  };
  const entries = Object.entries(handlers) as [keyof KubeletEvents, (...args: never[]) => void][];
  for (const [name, fn] of entries) events.on(name, fn as never);
  return () => { for (const [name, fn] of entries) events.off(name, fn as never); };
}
