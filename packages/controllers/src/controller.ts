import type { ResourceInfo } from '@peapod/api-types';
import {
  WorkQueue, keyOf, runWorkers, type InformerOptions, type KubeObject, type ReconcileResult, type ResourceEventHandler,
  type SharedInformer,
} from '@peapod/client';
import type { Logger } from '@peapod/core';
import type { ControllerContext } from './context.js';

/** A control loop the manager runs while it leads. */
export interface Controller {
  readonly name: string;
  /** Waits for its caches, then reconciles with `workers` workers until `signal` aborts; resolves once stopped. */
  run(workers: number, signal: AbortSignal): Promise<void>;
}

/**
 * The shape every controller here takes (sample-controller): informers whose handlers only
 * enqueue keys, one work queue that never hands a key to two workers at once, and one
 * `reconcile(key)` that reads the caches and makes the world match. A thrown error retries the
 * key with backoff; `{ requeueAfter }` comes back later.
 */
export abstract class QueueController implements Controller {
  readonly queue: WorkQueue<string>;
  protected readonly log: Logger;
  private readonly synced: SharedInformer<KubeObject>[] = [];
  private readonly subscriptions: { remove(): void }[] = [];

  constructor(readonly name: string, protected readonly ctx: ControllerContext) {
    this.queue = new CoalescingQueue({ clock: ctx.clock });
    this.log = ctx.logger.child({ controller: name });
  }

  abstract reconcile(key: string): Promise<ReconcileResult>;

  /** The shared informer for a resource, which `run` waits for before the first reconcile. */
  protected informer<T extends KubeObject>(info: ResourceInfo<T>, options?: InformerOptions): SharedInformer<T> {
    const inf = this.ctx.informers.informerFor(info, options);
    if (!this.synced.includes(inf as unknown as SharedInformer<KubeObject>)) this.synced.push(inf as unknown as SharedInformer<KubeObject>);
    return inf;
  }

  /** Subscribes `handler` to the informer of `info`; unsubscribed when the controller stops. */
  protected watch<T extends KubeObject>(info: ResourceInfo<T>, handler: ResourceEventHandler<T>, options?: InformerOptions): SharedInformer<T> {
    const inf = this.informer(info, options);
    this.subscriptions.push(inf.addEventHandler(handler));
    return inf;
  }

  protected enqueue(obj: KubeObject): void {
    this.queue.add(keyOf(obj));
  }

  async run(workers: number, signal: AbortSignal): Promise<void> {
    const stop = () => this.queue.shutDown();
    signal.addEventListener('abort', stop, { once: true });
    try {
      await Promise.all(this.synced.map((i) => i.waitForSync(signal)));
      this.log.info('caches synced; starting workers', { workers });
      await runWorkers(this.queue, workers, (key) => this.reconcile(key), this.log);
    } catch (err) {
      if (!signal.aborted) throw err;
    } finally {
      signal.removeEventListener('abort', stop);
      this.queue.shutDown();
      for (const s of this.subscriptions.splice(0)) s.remove();
    }
  }
}

/**
 * A work queue whose `add` takes effect on the next turn of the event loop. Informer handlers run
 * one watch event at a time on this single thread, so a worker waiting on the queue would take a
 * key at the first event of a burst and sync once per event; deferring the add lets the burst
 * collapse into one sync, as it does in Kubernetes, where workers run beside the informers and the
 * queue holds a key while they are busy.
 */
class CoalescingQueue extends WorkQueue<string> {
  private readonly pending = new Set<string>();

  override add(key: string): void {
    if (!this.pending.size) {
      setImmediate(() => {
        const keys = [...this.pending];
        this.pending.clear();
        for (const k of keys) super.add(k);
      });
    }
    this.pending.add(key);
  }
}
