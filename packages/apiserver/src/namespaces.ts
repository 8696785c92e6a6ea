import { forbidden, isNotFound, notFound } from '@peapod/api-types';
import type { Clock, Logger, TimerHandle } from '@peapod/core';
import { deepCopy, type Store, type Watch } from '@peapod/store';
import { ADMIN_USER } from './auth.js';
import type { ServedResource } from './registry.js';
import type { NamespaceReader } from './pod-security/admission.js';
import type { NamespaceGate, Rest, WriteContext } from './rest.js';
import { NAMESPACE_FINALIZER } from './strategies.js';
import type { Obj } from './obj.js';

/** Namespaces every cluster starts with. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
/** How long the cleanup waits before looking again at a namespace whose content is still going away. */
const RETRY_MS = 500;

/**
 * Namespace lifecycle: admission that refuses new objects in a missing (404) or terminating (403)
 * namespace, served from a watched cache with a store read on a miss (a namespace created a moment
 * ago may not have reached the cache); and the namespace finalizer, which empties a terminating
 * namespace, then removes the `kubernetes` finalizer so the namespace itself goes away.
 */
export class NamespaceLifecycle implements NamespaceGate, NamespaceReader {
  private readonly cache = new Map<string, Obj>();
  private readonly timers = new Map<string, TimerHandle>();
  private readonly running = new Set<string>();
  private watch?: Watch<Obj>;
  private rest?: Rest;

  constructor(private readonly store: Store, private readonly clock: Clock, private readonly logger: Logger) {}

  /** The namespace from the cache, else from storage; undefined when it does not exist. */
  async get(name: string): Promise<Obj | undefined> {
    return this.cache.get(name) ?? await this.store.get<Obj>(`/namespaces/${name}`, { ignoreNotFound: true });
  }

  async check(namespace: string, r: ServedResource, name: string): Promise<void> {
    if (!r.info.namespaced) return;
    const ns = await this.get(namespace);
    if (!ns) throw notFound({ kind: 'namespaces', name: namespace });
    if (ns.metadata.deletionTimestamp) {
      throw forbidden({ kind: r.info.plural, group: r.info.group || undefined, name: name || undefined }, `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  /** Creates the system namespaces, fills the cache and starts following namespace changes. */
  async start(rest: Rest): Promise<void> {
    this.rest = rest;
    const nsResource = rest.registry.mustGet('', 'namespaces');
    for (const name of SYSTEM_NAMESPACES) {
      if (await this.store.get(`/namespaces/${name}`, { ignoreNotFound: true })) continue;
      await rest.createDecoded(nsResource, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, systemContext()).catch((err) => {
        this.logger.warn('could not create system namespace', { namespace: name, err: String(err) });
      });
    }
    const list = await this.store.list<Obj>('/namespaces/');
    for (const ns of list.items) this.observe(ns);
    this.watch = this.store.watch<Obj>('/namespaces/', { resourceVersion: list.resourceVersion, recursive: true });
    void this.follow(this.watch);
  }

  stop(): void {
    this.watch?.stop();
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
  }

  private async follow(w: Watch<Obj>): Promise<void> {
    try {
      for await (const ev of w) {
        if (ev.type === 'ERROR') break;
        if (ev.type === 'DELETED') this.cache.delete(ev.object.metadata.name!);
        else if (ev.type !== 'BOOKMARK') this.observe(ev.object);
      }
    } catch (err) {
      this.logger.error('namespace watch failed', { err: String(err) });
    }
  }

  private observe(ns: Obj): void {
    this.cache.set(ns.metadata.name, ns);
    if (ns.metadata.deletionTimestamp) this.schedule(ns.metadata.name, 0);
  }

  private schedule(name: string, ms: number): void {
    if (this.timers.has(name) || this.running.has(name)) return;
    this.timers.set(name, this.clock.setTimeout(() => {
      this.timers.delete(name);
      void this.finalize(name);
    }, ms));
  }

  /** One pass of the namespace finalizer: delete everything inside; once empty, drop the finalizer. */
  private async finalize(name: string): Promise<void> {
    const rest = this.rest!;
    this.running.add(name);
    let again = false;
    try {
      const ctx = systemContext();
      for (const r of rest.registry.all) {
        if (!r.info.namespaced) continue;
        const left = await rest.deleteCollection(r, name, {}, {}, ctx);
        if (left.items.length) again = true;
      }
      if (!again) {
        const nsResource = rest.registry.mustGet('', 'namespaces');
        await rest.update(nsResource, '', name, ctx, (cur) => {
          const next = deepCopy(cur!);
          next.spec = { ...next.spec, finalizers: (next.spec?.finalizers ?? []).filter((f: string) => f !== NAMESPACE_FINALIZER) };
          return next;
        }, { subresource: 'finalize' });
      }
    } catch (err) {
      if (!isNotFound(err)) {
        this.logger.warn('namespace cleanup failed; retrying', { namespace: name, err: String(err) });
        again = true;
      }
    } finally {
      this.running.delete(name);
    }
    if (again && this.cache.has(name)) this.schedule(name, RETRY_MS);
  }
}

/** The identity the server's own loops act as. */
export const systemContext = (): WriteContext => ({ user: ADMIN_USER, dryRun: false, fieldManager: 'peapod-apiserver', fieldValidation: 'Ignore', warnings: [] });
