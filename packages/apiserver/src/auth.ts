import { timingSafeEqual } from 'node:crypto';
import { forbidden, unauthorized } from '@peapod/api-types';
import type { Store } from '@peapod/store';
import type { RequestInfo } from './request-info.js';
import type { Obj } from './obj.js';

/** An authenticated identity, as Kubernetes' user.Info. */
export interface UserInfo {
  name: string;
  groups: readonly string[];
}

export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';
export const MASTERS_GROUP = 'system:masters';
/** The join token's group: it may obtain node credentials (`POST /peapod/v1/join`) and nothing else. */
export const BOOTSTRAPPERS_GROUP = 'system:bootstrappers';
/** The namespace that holds node heartbeat Leases. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** The admin identity the admin token maps to. */
export const ADMIN_USER: UserInfo = { name: 'admin', groups: [MASTERS_GROUP, 'system:authenticated'] };
export const nodeUser = (node: string): UserInfo => ({ name: `${NODE_USER_PREFIX}${node}`, groups: [NODES_GROUP, 'system:authenticated'] });

/**
 * Bearer-token authentication against a fixed table (token -> identity). Tokens are compared in
 * constant time; a missing or unknown token is 401 (there is no anonymous access).
 */
export class TokenAuthenticator {
  private readonly tokens: Array<[Buffer, UserInfo]>;

  constructor(tokens: Iterable<[string, UserInfo]>) {
    this.tokens = [...tokens].map(([t, u]) => [Buffer.from(t), u]);
  }

  authenticate(authorization: string | undefined): UserInfo {
    const user = this.lookup(authorization);
    if (!user) throw unauthorized();
    return user;
  }

  /** The identity of a bearer token in the table, or undefined. */
  lookup(authorization: string | undefined): UserInfo | undefined {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) return undefined;
    const given = Buffer.from(m[1]);
    for (const [token, user] of this.tokens) if (token.length === given.length && timingSafeEqual(token, given)) return user;
    return undefined;
  }
}

/** Names of the ConfigMaps, Secrets and PersistentVolumeClaims a pod uses (volumes, projections, env, envFrom, pull secrets). */
export function podReferences(pod: Obj): { configmaps: Set<string>; secrets: Set<string>; persistentvolumeclaims: Set<string> } {
  const configmaps = new Set<string>();
  const secrets = new Set<string>();
  const persistentvolumeclaims = new Set<string>();
  const spec = pod.spec ?? {};
  for (const v of spec.volumes ?? []) {
    if (v.persistentVolumeClaim?.claimName) persistentvolumeclaims.add(v.persistentVolumeClaim.claimName);
    if (v.configMap?.name) configmaps.add(v.configMap.name);
    if (v.secret?.secretName) secrets.add(v.secret.secretName);
    for (const s of v.projected?.sources ?? []) {
      if (s.configMap?.name) configmaps.add(s.configMap.name);
      if (s.secret?.name) secrets.add(s.secret.name);
    }
  }
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])]) {
    for (const e of c.env ?? []) {
      if (e.valueFrom?.configMapKeyRef?.name) configmaps.add(e.valueFrom.configMapKeyRef.name);
      if (e.valueFrom?.secretKeyRef?.name) secrets.add(e.valueFrom.secretKeyRef.name);
    }
    for (const e of c.envFrom ?? []) {
      if (e.configMapRef?.name) configmaps.add(e.configMapRef.name);
      if (e.secretRef?.name) secrets.add(e.secretRef.name);
    }
  }
  for (const s of spec.imagePullSecrets ?? []) if (s.name) secrets.add(s.name);
  return { configmaps, secrets, persistentvolumeclaims };
}

const READ = new Set(['get', 'list', 'watch']);
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

/**
 * Authorization. Peapod has no RBAC yet: every identity outside `system:nodes` may do anything.
 * A node identity (`system:node:<name>`) is confined as Kubernetes' Node authorizer and
 * NodeRestriction admission confine a kubelet: it reads nodes and writes only its own Node, its own
 * Lease, pods bound to it (incl. their status and mirror pods it creates), events, and reads the
 * ConfigMaps, Secrets and PersistentVolumeClaims its pods reference. Anything else is 403.
 * The join token's identity (`system:bootstrappers`) is refused everything here.
 */
export class Authorizer {
  constructor(private readonly store: Store, private readonly keyOf: (info: RequestInfo) => string) {}

  async authorize(user: UserInfo, info: RequestInfo, query: URLSearchParams, body: unknown): Promise<void> {
    if (user.groups.includes(BOOTSTRAPPERS_GROUP)) {
      const what = info.isResource ? `${info.verb} resource "${info.subresource ? `${info.resource}/${info.subresource}` : info.resource}" in API group "${info.group}"` : `${info.verb} path "${info.path}"`;
      throw forbidden({ kind: info.resource || undefined, name: info.name || undefined }, `User "${user.name}" cannot ${what}: a join token only obtains node credentials`);
    }
    if (!info.isResource || !user.groups.includes(NODES_GROUP) || !user.name.startsWith(NODE_USER_PREFIX)) return;
    const node = user.name.slice(NODE_USER_PREFIX.length);
    const deny = (why: string) => {
      const where = info.namespace ? ` in the namespace "${info.namespace}"` : '';
      const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
      return forbidden({ kind: info.resource, group: info.group || undefined, name: info.name || undefined },
        `User "${user.name}" cannot ${info.verb} resource "${resource}" in API group "${info.group}"${where}: ${why}`);
    };
    const r = info.resource;
    if (info.group === '' && r === 'nodes') {
      if (READ.has(info.verb) && !info.subresource) return;
      const target = info.verb === 'create' ? (body as Obj | undefined)?.metadata?.name : info.name;
      if (target === node && info.verb !== 'deletecollection') return;
      if (info.verb === 'deletecollection') throw deny(`node '${node}' cannot delete collections of nodes`);
      // NodeRestriction admission's wording: it is the admission plugin, not the authorizer, that refuses.
      throw forbidden({ kind: 'nodes', name: target || undefined }, `node "${node}" is not allowed to modify node "${target ?? ''}"`);
    }
    if (info.group === 'coordination.k8s.io' && r === 'leases') {
      const target = info.verb === 'create' ? (body as Obj | undefined)?.metadata?.name : info.name;
      if (info.namespace !== NODE_LEASE_NAMESPACE) throw deny(`can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`);
      if (target === node) return;
      throw deny('can only access node lease with the same name as the requesting node');
    }
    if ((info.group === '' || info.group === 'events.k8s.io') && r === 'events') {
      if (info.verb !== 'delete' && info.verb !== 'deletecollection') return;
      throw deny('nodes may not delete events');
    }
    if (info.group === '' && r === 'pods') {
      if (info.verb === 'list' || info.verb === 'watch') {
        const selector = query.get('fieldSelector') ?? '';
        if (selector.split(',').some((t) => t.replace('==', '=').trim() === `spec.nodeName=${node}`)) return;
        throw deny(`node '${node}' can only list or watch pods with fieldSelector spec.nodeName=${node}`);
      }
      if (info.verb === 'create' && !info.subresource) {
        const pod = body as Obj | undefined;
        // NodeRestriction admission's checks and wording, in its order.
        const refuse = (why: string) => forbidden({ kind: 'pods', name: pod?.metadata?.name || undefined }, why);
        if (pod?.metadata?.annotations?.[MIRROR_POD_ANNOTATION] === undefined) throw refuse(`pod does not have "${MIRROR_POD_ANNOTATION}" annotation, node "${node}" can only create mirror pods`);
        if (pod?.spec?.nodeName !== node) throw refuse(`node "${node}" can only create pods with spec.nodeName set to itself`);
        return;
      }
      if (info.verb === 'deletecollection') throw deny(`node '${node}' cannot delete collections of pods`);
      // From the watch cache, as Kubernetes' node authorizer decides from its informer-fed graph.
      const pod = await this.store.get<Obj>(this.keyOf(info), { ignoreNotFound: true, resourceVersion: '0' });
      if (pod?.spec?.nodeName === node && (!info.subresource || ['status', 'log', 'eviction'].includes(info.subresource))) return;
      throw deny(`no relationship found between node '${node}' and this object`);
    }
    if (info.group === '' && (r === 'configmaps' || r === 'secrets' || r === 'persistentvolumeclaims') && info.verb === 'get' && !info.subresource) {
      const pods = await this.store.list<Obj>(`/pods/${info.namespace}/`, { fieldSelector: `spec.nodeName=${node}`, resourceVersion: '0' });
      if (pods.items.some((p) => podReferences(p)[r].has(info.name))) return;
      throw deny(`no relationship found between node '${node}' and this object`);
    }
    throw deny(`node '${node}' may not access this resource`);
  }
}
