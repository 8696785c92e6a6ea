import type { ResourceInfo } from '@peapod/api-types';
import type { KubeObject } from '../types.js';
import { SharedInformer, type InformerDeps, type InformerOptions } from './informer.js';

/**
 * One informer per resource + namespace + selectors for a whole process, shared by every
 * component that asks (client-go's SharedInformerFactory): one list+watch and one cache however
 * many controllers read it.
 */
export interface SharedInformerFactory {
  /**
   * The shared informer for this resource and options. The first caller's `resyncPeriodMs` is
   * kept; later callers share it. Once the factory is started, new informers start at once.
   */
  informerFor<T extends KubeObject>(info: ResourceInfo<T>, options?: InformerOptions): SharedInformer<T>;
  /** Starts every informer made so far and every one made later; idempotent. */
  start(): void;
  /** Stops every informer; their caches keep their last state. */
  stop(): Promise<void>;
  /** Resolves once every informer made so far has synced. */
  waitForCacheSync(signal?: AbortSignal): Promise<void>;
}

export class InformerFactory implements SharedInformerFactory {
  private readonly informers = new Map<string, SharedInformer<KubeObject>>();
  private started = false;

  constructor(private readonly deps: InformerDeps, private readonly defaults: Pick<InformerOptions, 'resyncPeriodMs'> = {}) {}

  informerFor<T extends KubeObject>(info: ResourceInfo<T>, options: InformerOptions = {}): SharedInformer<T> {
    const key = [info.group, info.version, info.plural, options.namespace ?? '', options.labelSelector ?? '', options.fieldSelector ?? ''].join('|');
    let inf = this.informers.get(key) as SharedInformer<T> | undefined;
    if (!inf) {
      inf = new SharedInformer(info, { ...this.defaults, ...options }, this.deps);
      this.informers.set(key, inf as unknown as SharedInformer<KubeObject>);
      if (this.started) inf.start();
    }
    return inf;
  }

  start(): void {
    this.started = true;
    for (const inf of this.informers.values()) inf.start();
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }

  async waitForCacheSync(signal?: AbortSignal): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
  }
}
