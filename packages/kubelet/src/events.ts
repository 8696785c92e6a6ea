import type { PodPhase } from './status/phase.js';

/** Which pod an event is about. */
export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

export type ProbeType = 'liveness' | 'readiness' | 'startup';

/**
 * What a kubelet reports as it works (past tense; events notify, they never steer). Library users
 * and the dashboard subscribe with `kubelet.events.on(...)`; names mirror the reasons of the
 * Kubernetes events a kubelet records (Scheduled/Pulled/Created/Started/Killing/BackOff/Unhealthy).
 */
export type KubeletEvents = {
  nodeRegistered: [nodeName: string];
  leaseRenewed: [nodeName: string, renewTime: string];
  podAdmitted: [pod: PodRef];
  podRejected: [pod: PodRef, reason: string, message: string];
  sandboxCreated: [pod: PodRef, sandboxId: string, attempt: number];
  imagePulling: [pod: PodRef, container: string, image: string];
  /** `pull` is absent when the image was already present (no pull needed). */
  imagePulled: [pod: PodRef, container: string, image: string, pull?: { durationMs: number; size: number }];
  containerStarted: [pod: PodRef, container: string, containerId: string, restartCount: number];
  /** A start attempt failed: `reason` is what the container's waiting state shows. */
  containerFailed: [pod: PodRef, container: string, reason: string, message: string];
  containerBackedOff: [pod: PodRef, container: string, delayMs: number];
  containerExited: [pod: PodRef, container: string, containerId: string, exitCode: number, reason: string];
  containerKilling: [pod: PodRef, container: string, message: string];
  hookFailed: [pod: PodRef, container: string, hook: 'postStart' | 'preStop', message: string];
  probeFailed: [pod: PodRef, container: string, probe: ProbeType, output: string];
  probeSucceeded: [pod: PodRef, container: string, probe: ProbeType];
  volumeFailed: [pod: PodRef, volume: string, message: string];
  podPhaseChanged: [pod: PodRef, from: PodPhase | undefined, to: PodPhase];
  podDeadlineExceeded: [pod: PodRef];
  podTerminated: [pod: PodRef, phase: PodPhase];
  mirrorPodCreated: [pod: PodRef];
  mirrorPodDeleted: [pod: PodRef];
  syncFailed: [pod: PodRef, message: string];
};
