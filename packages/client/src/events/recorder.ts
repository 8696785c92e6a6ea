import { RESOURCES, type Event } from '@peapod/api-types';
import type { Clock, Logger } from '@peapod/core';
import type { KubeClient, KubeObject } from '../types.js';

export type EventType = 'Normal' | 'Warning';

/**
 * Records core/v1 Events about objects, as client-go's EventRecorder: fire-and-forget (a failed
 * write is logged, never thrown into the caller's control flow), and a repeat of the same
 * reason and message about the same object within `aggregateWindowMs` bumps `count` and
 * `lastTimestamp` of the existing Event instead of creating another.
 */
export class EventRecorder {
  private readonly recent = new Map<string, { name: string; namespace: string; count: number; at: number }>();

  constructor(
    private readonly client: KubeClient,
    private readonly clock: Clock,
    private readonly component: string,
    private readonly logger?: Logger,
    private readonly aggregateWindowMs = 10 * 60_000,
    /** Kubernetes' node name for events a kubelet reports (`source.host`). */
    private readonly host?: string,
  ) {}

  /** Records the event; the returned promise settles when it is written (tests may await it). */
  event(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const ns = obj.metadata.namespace || 'default';
    // Joined into one flat string: the key outlives the call (a node's recorder keeps one per pod
    // event), and a template literal would keep a tree of a dozen pieces instead.
    const key = [obj.metadata.uid ?? '', `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`, type, reason, message].join('|');
    const now = this.clock.now();
    const nowIso = new Date(now).toISOString();
    const events = this.client.resource(RESOURCES.events);
    const prev = this.recent.get(key);
    const write = async () => {
      if (prev && now - prev.at < this.aggregateWindowMs) {
        prev.count++;
        prev.at = now;
        await events.patch(prev.name, 'merge', { count: prev.count, lastTimestamp: nowIso }, { namespace: prev.namespace });
        return;
      }
      const name = `${obj.metadata.name}.${(now * 1000 + (this.recent.size % 1000)).toString(16)}`;
      this.remember(key, { name, namespace: ns, count: 1, at: now });
      const ev: Event = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: ns },
        involvedObject: {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: obj.metadata.name,
          namespace: obj.metadata.namespace,
          uid: obj.metadata.uid,
          resourceVersion: obj.metadata.resourceVersion,
        },
        reason,
        message,
        type,
        count: 1,
        firstTimestamp: nowIso,
        lastTimestamp: nowIso,
        source: { component: this.component, ...(this.host ? { host: this.host } : {}) },
        reportingComponent: this.component,
        reportingInstance: this.host ?? '',
      };
      await events.create(ev, { namespace: ns });
    };
    return write().catch((err) => this.logger?.warn('cannot record event', { reason, object: `${ns}/${obj.metadata.name}`, err: String(err) }));
  }

  /** Keeps the aggregation cache bounded. */
  private remember(key: string, v: { name: string; namespace: string; count: number; at: number }): void {
    if (this.recent.size >= 4096) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(key, v);
  }
}

