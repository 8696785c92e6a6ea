import * as os from 'node:os';
import { isConflict, type Lease, type Node, type NodeCondition } from '@peapod/api-types';
import type { Clock, Logger, TimerHandle, TypedEmitter } from '@peapod/core';
import type { RuntimeVersioner } from '@peapod/runtime';
import type { NodeApi } from './api-client.js';
import type { KubeletEvents } from './events.js';
import { rfc3339 } from './pod-util.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** The lease is renewed every quarter of its duration: 10 s for the default 40 s. */
export const LEASE_DURATION_SECONDS = 40;
const NODE_STATUS_UPDATE_MS = 10_000;
/** Without changes, the node status is still reported this often (kubelet's nodeStatusReportFrequency). */
const NODE_STATUS_REPORT_MS = 5 * 60_000;

export interface NodeOptions {
  nodeName: string;
  /** `kubernetes.io/os` of this node (and what pods' `spec.os.name` must match). */
  os: string;
  arch: string;
  /** Node IPs, primary first. */
  nodeIPs: readonly string[];
  capacity: Record<string, string>;
  allocatable?: Record<string, string>;
  labels?: Record<string, string>;
  kubeletVersion: string;
  kubeletPort: number;
}

/** Kubernetes' names for Node.js' platform and architecture. */
export const nodeOs = (platform: NodeJS.Platform = process.platform) => (platform === 'win32' ? 'windows' : platform);
export const nodeArch = (arch: string = process.arch) => ({ x64: 'amd64', ia32: '386', arm: 'arm', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x' })[arch] ?? arch;

/** A machine's default capacity: its CPUs, memory and the kubelet's default of 110 pods. */
export const defaultCapacity = (): Record<string, string> => ({
  cpu: String(os.availableParallelism()),
  memory: `${Math.floor(os.totalmem() / 1024)}Ki`,
  pods: '110',
  'ephemeral-storage': '100Gi',
});

/** metav1.MicroTime's format: the ISO time with microseconds (`...T00:00:00.123000Z`). */
const microTime = (ms: number) => `${new Date(ms).toISOString().slice(0, -1)}000Z`;

/**
 * Registers the Node, keeps its status (conditions, addresses, capacity, nodeInfo) current and
 * renews its Lease in `kube-node-lease` every 10 s (the node controller's heartbeat). The status
 * is written when it changes, and at least every five minutes.
 */
export class NodeLifecycle {
  private timers: TimerHandle[] = [];
  private lastReported?: { key: string; at: number };
  private nodeUid?: string;
  /**
   * The Lease as this kubelet last wrote it: the next renewal updates it without reading it first,
   * as Kubernetes' lease controller keeps `latestLease` (with 1,000 nodes that read is 100
   * requests a second). Any failed update (a Conflict when someone else wrote it, NotFound when
   * it was deleted) drops it, and the renewal reads the Lease afresh.
   */
  private lease?: Lease;

  constructor(
    private readonly api: NodeApi,
    private readonly runtime: RuntimeVersioner,
    private readonly clock: Clock,
    private readonly options: NodeOptions,
    private readonly events: TypedEmitter<KubeletEvents>,
    private readonly logger: Logger,
  ) {}

  /** Registers (or refreshes) the Node and takes the lease; then keeps both current until `stop`. */
  async start(): Promise<void> {
    await this.register();
    await this.renewLease();
    this.timers.push(
      this.clock.setInterval(() => void this.updateStatus().catch((err) => this.logger.warn('node status update failed', { error: String(err) })), NODE_STATUS_UPDATE_MS),
      this.clock.setInterval(() => void this.renewLease().catch((err) => this.logger.warn('lease renewal failed', { error: String(err) })), (LEASE_DURATION_SECONDS * 1000) / 4),
    );
  }

  stop(): void {
    for (const t of this.timers) t.cancel();
    this.timers = [];
  }

  async register(): Promise<void> {
    const { nodeName } = this.options;
    const existing = await this.api.getNode(nodeName);
    const desired = await this.desiredNode(existing);
    let node: Node;
    if (!existing) node = await this.api.createNode(desired);
    else {
      node = await this.api.updateNode({ ...existing, metadata: { ...existing.metadata, labels: desired.metadata.labels } });
      node = await this.api.updateNodeStatus({ ...node, status: desired.status });
    }
    this.nodeUid = node.metadata.uid;
    this.lastReported = { key: reportKey(desired), at: this.clock.now() };
    this.events.emit('nodeRegistered', nodeName);
  }

  /**
   * Recomputes the status; writes it when something changed or the report period passed. As the
   * kubelet's tryUpdateNodeStatus, the first read may come from the API server's cache; a write
   * that conflicts because that copy was stale is tried once more on a consistent read.
   */
  async updateStatus(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.api.getNode(this.options.nodeName, attempt === 0 ? '0' : undefined);
      if (!current) return this.register();
      const desired = await this.desiredNode(current);
      const key = reportKey(desired);
      if (this.lastReported && this.lastReported.key === key && this.clock.now() - this.lastReported.at < NODE_STATUS_REPORT_MS) return;
      try {
        await this.api.updateNodeStatus({ ...current, status: desired.status });
      } catch (err) {
        if (attempt === 0 && isConflict(err)) continue;
        throw err;
      }
      this.lastReported = { key, at: this.clock.now() };
      return;
    }
  }

  async renewLease(): Promise<void> {
    const { nodeName } = this.options;
    const renewTime = microTime(this.clock.now());
    const spec = { holderIdentity: nodeName, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime };
    const renewed = (lease: Lease) => this.api.updateLease({ ...lease, spec: { ...lease.spec, ...spec } });
    if (this.lease) this.lease = await renewed(this.lease).catch(() => undefined);
    if (!this.lease) {
      const existing = await this.api.getLease(NODE_LEASE_NAMESPACE, nodeName);
      this.lease = existing ? await renewed(existing) : await this.api.createLease({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name: nodeName,
          namespace: NODE_LEASE_NAMESPACE,
          ...(this.nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: this.nodeUid }] } : {}),
        },
        spec,
      });
    }
    this.events.emit('leaseRenewed', nodeName, renewTime);
  }

  private async desiredNode(existing: Node | undefined): Promise<Node> {
    const o = this.options;
    const now = rfc3339(this.clock.now());
    const [version, status] = await Promise.all([this.runtime.version(), this.runtime.status()]);
    const runtimeReady = status.conditions.find((c) => c.type === 'RuntimeReady');
    const old = existing?.status?.conditions ?? [];
    const condition = (type: string, ok: boolean, reason: string, message: string): NodeCondition => {
      const statusValue = type === 'Ready' ? (ok ? 'True' : 'False') : ok ? 'False' : 'True';
      const prev = old.find((c) => c.type === type);
      return { type, status: statusValue, reason, message, lastHeartbeatTime: now, lastTransitionTime: prev?.status === statusValue && prev.lastTransitionTime ? prev.lastTransitionTime : now };
    };
    const ready = runtimeReady?.status !== false;
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: o.nodeName,
        labels: {
          ...(existing?.metadata.labels ?? {}),
          'kubernetes.io/os': o.os,
          'kubernetes.io/arch': o.arch,
          'kubernetes.io/hostname': o.nodeName,
          'beta.kubernetes.io/os': o.os,
          'beta.kubernetes.io/arch': o.arch,
          ...(o.labels ?? {}),
        },
      },
      spec: existing?.spec ?? {},
      status: {
        capacity: o.capacity,
        allocatable: o.allocatable ?? o.capacity,
        conditions: [
          condition('MemoryPressure', true, 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
          condition('DiskPressure', true, 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
          condition('PIDPressure', true, 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
          ready
            ? condition('Ready', true, 'KubeletReady', 'kubelet is posting ready status')
            : condition('Ready', false, 'KubeletNotReady', `container runtime not ready: RuntimeReady=false reason:${runtimeReady?.reason ?? ''} message:${runtimeReady?.message ?? ''}`),
        ],
        addresses: [...o.nodeIPs.map((address) => ({ type: 'InternalIP', address })), { type: 'Hostname', address: o.nodeName }],
        daemonEndpoints: { kubeletEndpoint: { Port: o.kubeletPort } },
        nodeInfo: {
          architecture: o.arch,
          bootID: '',
          containerRuntimeVersion: `${version.runtimeName}://${version.runtimeVersion}`,
          kernelVersion: os.release(),
          kubeProxyVersion: '',
          kubeletVersion: o.kubeletVersion,
          machineID: '',
          operatingSystem: o.os,
          osImage: os.version(),
          systemUUID: '',
        },
      },
    };
  }
}

/** What counts as a change worth reporting: everything but heartbeat times. */
function reportKey(node: Node): string {
  const s = node.status!;
  return JSON.stringify([s.capacity, s.allocatable, s.addresses, s.nodeInfo, s.conditions?.map((c) => [c.type, c.status, c.reason, c.message]), node.metadata.labels]);
}
