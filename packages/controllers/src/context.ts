import { EventRecorder, type EventType, type KubeClient, type KubeObject, type LeaderElectionSetting, type SharedInformerFactory } from '@peapod/client';
import type { Clock, Logger } from '@peapod/core';

/** Tunables of the controllers, with kube-controller-manager's defaults. */
export interface ControllersOptions {
  /**
   * Which controllers run: a comma-separated list as `--controllers`: `*` is every controller
   * enabled by default, `name` adds one, `-name` removes one (default `*`).
   */
  controllers?: string;
  /** Workers per controller (default 5; the garbage collector and node lifecycle use their own counts). */
  workers?: number;
  /** This process's leader-election identity (default a random one). */
  identity?: string;
  /** Leader election through the `kube-system/kube-controller-manager` Lease (default on). */
  leaderElection?: LeaderElectionSetting;
  /** How long a node may go without a heartbeat before it is marked Ready=Unknown (default 50 s). */
  nodeMonitorGracePeriodSeconds?: number;
  /** How often node health is checked (default 5 s). */
  nodeMonitorPeriodSeconds?: number;
  /**
   * tolerationSeconds for the not-ready/unreachable NoExecute taints of pods that carry no
   * toleration for them (what the DefaultTolerationSeconds admission adds; default 300 s).
   */
  defaultTolerationSeconds?: number;
  /** Terminated pods beyond this count are deleted, oldest first (default 12,500). */
  terminatedPodGCThreshold?: number;
}

/** The Lease the controller managers of a cluster compete for. */
export const CONTROLLER_MANAGER_LEASE = 'kube-controller-manager';

export type ResolvedOptions = Required<Omit<ControllersOptions, 'leaderElection' | 'controllers' | 'identity'>>;

export const resolveOptions = (o: ControllersOptions = {}): ResolvedOptions => ({
  workers: o.workers ?? 5,
  nodeMonitorGracePeriodSeconds: o.nodeMonitorGracePeriodSeconds ?? 50,
  nodeMonitorPeriodSeconds: o.nodeMonitorPeriodSeconds ?? 5,
  defaultTolerationSeconds: o.defaultTolerationSeconds ?? 300,
  terminatedPodGCThreshold: o.terminatedPodGCThreshold ?? 12_500,
});

/** What every controller is built from. */
export interface ControllerContext {
  client: KubeClient;
  informers: SharedInformerFactory;
  clock: Clock;
  logger: Logger;
  options: ResolvedOptions;
}

/** What controllers record events through. */
export interface Recorder {
  event(obj: KubeObject, type: EventType, reason: string, message: string): void;
}

/**
 * An event recorder reporting as `component` (e.g. `replicaset-controller`); its correlator's spam
 * filter turns a burst of 1,000 pod creations into 25 events about the ReplicaSet, not 1,000
 * writes competing with the pods themselves.
 */
export function recorderFor(ctx: ControllerContext, component: string): Recorder {
  const inner = new EventRecorder(ctx.client, ctx.clock, { component, logger: ctx.logger });
  return { event: (obj, type, reason, message) => void inner.event(obj, type, reason, message) };
}
