import { RESOURCES, isAlreadyExists, isNotFound } from '@peapod/api-types';
import type { KubeObject, ReconcileResult } from '@peapod/client';
import type { ControllerContext } from './context.js';
import { QueueController } from './controller.js';

/** The ServiceAccount every namespace gets (kube-controller-manager's `serviceaccount` controller). */
export const DEFAULT_SERVICE_ACCOUNT = 'default';

/**
 * Makes sure each active namespace has the `default` ServiceAccount: created with the namespace,
 * and again if someone deletes it. Namespaces being deleted are left alone. Keys are namespace
 * names; a ServiceAccount event enqueues its namespace.
 */
export class ServiceAccountsController extends QueueController {
  private readonly namespaces;
  private readonly accounts;

  constructor(ctx: ControllerContext) {
    super('serviceaccount', ctx);
    const enqueueNamespace = (o: KubeObject) => this.queue.add(o.metadata.name!);
    this.namespaces = this.watch(RESOURCES.namespaces, { onAdd: enqueueNamespace, onUpdate: (_old, o) => enqueueNamespace(o) });
    this.accounts = this.watch(RESOURCES.serviceaccounts, { onDelete: (o) => { if (o.metadata.name === DEFAULT_SERVICE_ACCOUNT) this.queue.add(o.metadata.namespace!); } });
  }

  async reconcile(namespace: string): Promise<ReconcileResult> {
    const ns = this.namespaces.lister.get(undefined, namespace);
    if (!ns || ns.metadata.deletionTimestamp) return;
    if (this.accounts.lister.get(namespace, DEFAULT_SERVICE_ACCOUNT)) return;
    try {
      await this.ctx.client.resource(RESOURCES.serviceaccounts).create({ metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace } });
      this.log.info('created the default ServiceAccount', { namespace });
    } catch (err) {
      // Already there (the cache lagged), or the namespace went away meanwhile.
      if (!isAlreadyExists(err) && !isNotFound(err)) throw err;
    }
  }
}
