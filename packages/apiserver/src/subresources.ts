import {
  badRequest, conflict, forbidden, internalError, invalid, labelSelectorFromObject, MIRROR_POD_ANNOTATION, podQOSClass, serviceUnavailable, StatusError,
  type PatchRequest,
} from '@peapod/api-types';
import { deepCopy } from '@peapod/store';
import { decodeFor } from './admission.js';
import type { NodeStreamer } from './node-streamer.js';
import type { RequestInfo } from './request-info.js';
import type { ServiceAccountTokens } from './serviceaccount-token.js';
import type { ServedResource } from './registry.js';
import type { Rest, WriteContext } from './rest.js';
import type { Obj } from './obj.js';

/** Applies one patch document to an object (or to nothing, for server-side apply creating it). */
export type PatchFn = (args: Omit<PatchRequest, 'now'>) => Obj;

const isMirror = (pod: Obj) => pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined;
const success = (code: number) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code });
const podTarget = (name: string) => ({ kind: 'pods', name });

/**
 * The subresources with their own semantics: status/ephemeralcontainers/resize/finalize (which
 * part of the object a write may change), binding, eviction (PodDisruptionBudgets), scale
 * (autoscaling/v1 Scale), log (streamed from the node) and serviceaccounts/token.
 */
export class Subresources {
  constructor(
    private readonly rest: Rest,
    private readonly patchFn: PatchFn,
    private readonly streamer?: NodeStreamer,
    private readonly tokens?: ServiceAccountTokens,
  ) {}

  decode(r: ServedResource, body: unknown, ctx: WriteContext): Obj {
    return decodeFor(r, body, ctx.fieldValidation, ctx.warnings);
  }

  /**
   * `decode` of a patch result, but for the parts the patch left as stored (patches share what
   * they leave alone, so these are the stored values themselves): a status write's spec, which
   * it replaces by the stored one anyway (`Rest.prepareUpdate`), and managedFields, which the
   * server only compares with the stored ones and rewrites. They stay in place undecoded (and
   * managedFields stored, frozen where the store shares it: nothing writes into them).
   */
  private decodePatched(r: ServedResource, sub: string | undefined, patched: Obj, cur: Obj, ctx: WriteContext): Obj {
    const skipSpec = sub === 'status' && patched.spec !== undefined && patched.spec === cur.spec;
    const managedFields = patched.metadata?.managedFields;
    const keepFields = managedFields !== undefined && managedFields === cur.metadata?.managedFields;
    if (!skipSpec && !keepFields) return this.decode(r, patched, ctx);
    // Undefined members keep the parts' places, so the decoded object's member order is as before.
    const decoded = this.decode(r, {
      ...patched,
      ...(skipSpec ? { spec: undefined } : {}),
      ...(keepFields ? { metadata: { ...patched.metadata, managedFields: undefined } } : {}),
    }, ctx);
    if (keepFields) decoded.metadata.managedFields = managedFields;
    return decoded;
  }

  /** The object a subresource write produces from the stored one and the decoded request body. */
  fromSubresource(r: ServedResource, sub: string, cur: Obj, body: Obj): Obj {
    if (sub === 'status') return body;
    const next = deepCopy(cur);
    const name = cur.metadata.name;
    if (body.metadata?.resourceVersion) next.metadata.resourceVersion = body.metadata.resourceVersion;
    if (sub === 'finalize') {
      next.spec = { ...next.spec, finalizers: body.spec?.finalizers ?? [] };
      return next;
    }
    if (sub === 'ephemeralcontainers') {
      if (isMirror(cur)) throw forbidden(podTarget(name), 'static pods do not support ephemeral containers');
      const wanted: Obj[] = body.spec?.ephemeralContainers ?? [];
      // `resources` is a plain struct in Kubernetes: `{}` (what kubectl debug sends) is its zero value, i.e. unset.
      next.spec.ephemeralContainers = wanted.map(({ resources, ...c }) => (resources && Object.keys(resources).length ? { ...c, resources } : c));
      return next;
    }
    if (sub === 'resize') {
      if (isMirror(cur)) throw forbidden(podTarget(name), 'static pods cannot be resized');
      for (const c of next.spec.containers ?? []) {
        const w = (body.spec?.containers ?? []).find((x: Obj) => x.name === c.name);
        if (!w) continue;
        if (w.resources === undefined) delete c.resources;
        else c.resources = w.resources;
        if (w.resizePolicy !== undefined) c.resizePolicy = w.resizePolicy;
      }
      if (cur.status?.qosClass && podQOSClass(next as Parameters<typeof podQOSClass>[0]) !== cur.status.qosClass) {
        throw invalid({ kind: 'Pod', name }, [{ type: 'FieldValueForbidden', field: 'spec', message: 'Forbidden: Pod QOS Class may not change as a result of resizing' }]);
      }
      return next;
    }
    throw badRequest(`subresource ${sub} of ${r.info.plural} cannot be written`);
  }

  /** PATCH of an object or of one of its subresources; server-side apply may create the object. */
  async patch(r: ServedResource, info: RequestInfo, patch: unknown, type: 'json' | 'merge' | 'strategic' | 'apply', ctx: WriteContext, force: boolean): Promise<{ obj: Obj; created: boolean }> {
    const patchFn = this.patchFn;
    const sub = info.subresource || undefined;
    let created = false;
    const obj = await this.rest.update(r, info.namespace, info.name, ctx, (cur) => {
      const args = { type, patch, info: r.info, fieldManager: ctx.fieldManager, force, subresource: sub };
      if (sub === 'scale') {
        const scaled = patchFn({ ...args, current: this.scaleOf(r, cur!) });
        return this.withReplicas(r, cur!, scaled);
      }
      created = cur === undefined;
      const patched = patchFn({ ...args, current: cur });
      if (created) {
        patched.metadata ??= {};
        patched.metadata.name ??= info.name;
        if (r.info.namespaced) patched.metadata.namespace ??= info.namespace;
      }
      const decoded = cur ? this.decodePatched(r, sub, patched, cur, ctx) : this.decode(r, patched, ctx);
      return sub ? this.fromSubresource(r, sub, cur!, decoded) : decoded;
    }, { subresource: sub, createIfMissing: type === 'apply' && !sub, operation: type === 'apply' ? 'Apply' : 'Update' });
    return { obj: sub === 'scale' ? this.scaleOf(r, obj) : obj, created };
  }

  /** autoscaling/v1 Scale view of a Deployment, ReplicaSet or StatefulSet. */
  scaleOf(r: ServedResource, obj: Obj): Obj {
    const m = obj.metadata;
    return {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
      spec: { replicas: obj.spec?.replicas ?? 0 },
      status: { replicas: obj.status?.replicas ?? 0, selector: labelSelectorFromObject(obj.spec?.selector).toString() },
    };
  }

  private withReplicas(r: ServedResource, cur: Obj, scale: Obj): Obj {
    const replicas = scale?.spec?.replicas;
    if (scale?.kind !== undefined && scale.kind !== 'Scale') throw badRequest(`${String(scale.kind)} in version "v1" cannot be handled as a Scale`);
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw invalid({ kind: 'Scale', group: 'autoscaling', name: cur.metadata.name }, [{ type: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0` }]);
    }
    const rv = scale.metadata?.resourceVersion;
    if (rv && rv !== cur.metadata.resourceVersion) throw conflict({ kind: r.info.plural, group: r.info.group || undefined, name: cur.metadata.name });
    const next = deepCopy(cur);
    next.spec = { ...next.spec, replicas };
    return next;
  }

  async updateScale(r: ServedResource, info: RequestInfo, body: unknown, ctx: WriteContext): Promise<Obj> {
    const obj = await this.rest.update(r, info.namespace, info.name, ctx, (cur) => this.withReplicas(r, cur!, body as Obj), { subresource: 'scale' });
    return this.scaleOf(r, obj);
  }

  /** pods/binding: assigns a node once and records PodScheduled (what the scheduler's Bind does). */
  async bind(info: RequestInfo, body: unknown, ctx: WriteContext): Promise<Obj> {
    const b = body as Obj | undefined;
    if (!b || typeof b !== 'object' || (b.kind !== undefined && b.kind !== 'Binding')) throw badRequest(`the body must be a Binding`);
    if (b.metadata?.name && b.metadata.name !== info.name) throw badRequest('name in URL does not match name in Binding object');
    const node = b.target?.name;
    if (!node || typeof node !== 'string') throw invalid({ kind: 'Binding', name: info.name }, [{ type: 'FieldValueRequired', field: 'target.name', message: 'Required value' }]);
    if (b.target.kind && b.target.kind !== 'Node') throw invalid({ kind: 'Binding', name: info.name }, [{ type: 'FieldValueNotSupported', field: 'target.kind', message: `Unsupported value: "${b.target.kind}": supported values: "Node"` }]);
    const pods = this.rest.registry.mustGet('', 'pods');
    const target = { kind: 'pods/binding', name: info.name };
    await this.rest.updateInStorage(pods, info.namespace, info.name, ctx, (cur) => {
      if (cur.metadata.deletionTimestamp) throw conflict(target, `pod ${info.name} is being deleted, cannot be assigned to a host`);
      if (cur.spec?.nodeName) throw conflict(target, `pod ${info.name} is already assigned to node "${cur.spec.nodeName}"`);
      if (cur.spec?.schedulingGates?.length) throw conflict(target, `pod ${info.name} has non-empty .spec.schedulingGates`);
      const annotations = b.metadata?.annotations ? { ...cur.metadata.annotations, ...b.metadata.annotations } : cur.metadata.annotations;
      const conditions: Array<Record<string, unknown>> = (cur.status?.conditions ?? []).filter((c: Obj) => c.type !== 'PodScheduled');
      conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: this.rest.now() });
      return {
        ...cur,
        metadata: { ...cur.metadata, ...(annotations ? { annotations } : {}) },
        spec: { ...cur.spec, nodeName: node },
        status: { ...cur.status, conditions },
      };
    });
    return success(201);
  }

  /**
   * pods/eviction: a delete that honours the PodDisruptionBudget covering the pod. Pods that are
   * terminal, pending or already deleting are deleted without consulting budgets; more than one
   * matching budget is an error, and a budget without disruptions left answers 429.
   */
  async evict(info: RequestInfo, body: unknown, ctx: WriteContext): Promise<Obj> {
    const ev = (body ?? {}) as Obj;
    if (ev.kind !== undefined && ev.kind !== 'Eviction') throw badRequest(`${String(ev.kind)} in version "v1" cannot be handled as a Eviction`);
    if (ev.metadata?.name && ev.metadata.name !== info.name) throw badRequest('name in URL does not match name in Eviction object');
    const pods = this.rest.registry.mustGet('', 'pods');
    const pod = await this.rest.get(pods, info.namespace, info.name);
    const opts = ev.deleteOptions ?? {};
    const phase = pod.status?.phase;
    if (!(phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || pod.metadata.deletionTimestamp)) {
      const pdbs = this.rest.registry.all.find((x) => x.info.group === 'policy' && x.info.plural === 'poddisruptionbudgets');
      const budgets = pdbs ? (await this.rest.list(pdbs, info.namespace, {})).items.filter((p: Obj) => labelSelectorFromObject(p.spec?.selector ?? {}).matches(pod.metadata.labels ?? {})) : [];
      if (budgets.length > 1) throw internalError(new Error('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.'));
      if (budgets.length === 1 && pdbs) {
        const refuse = (why: string) => new StatusError({
          code: 429, reason: 'TooManyRequests', message: "Cannot evict pod as it would violate the pod's disruption budget.",
          details: { causes: [{ reason: 'DisruptionBudget', message: why }] },
        });
        await this.rest.update(pdbs, info.namespace, budgets[0].metadata.name, ctx, (cur) => {
          const st = cur!.status ?? {};
          if ((st.observedGeneration ?? 0) < (cur!.metadata.generation ?? 0)) throw refuse(`The disruption budget ${cur!.metadata.name} is still being processed by the server.`);
          if ((st.disruptionsAllowed ?? 0) < 0) throw forbidden({ kind: 'poddisruptionbudgets', group: 'policy', name: cur!.metadata.name }, 'pdb disruptions allowed is negative');
          if ((st.disruptionsAllowed ?? 0) === 0) throw refuse(`The disruption budget ${cur!.metadata.name} needs ${st.desiredHealthy ?? 0} healthy pods and has ${st.currentHealthy ?? 0} currently`);
          const next = deepCopy(cur!);
          next.status = { ...st, disruptionsAllowed: st.disruptionsAllowed - 1, disruptedPods: { ...st.disruptedPods, [info.name]: this.rest.now() } };
          return next;
        }, { subresource: 'status' });
      }
    }
    await this.rest.delete(pods, info.namespace, info.name, {
      gracePeriodSeconds: opts.gracePeriodSeconds, preconditions: opts.preconditions, propagationPolicy: opts.propagationPolicy,
    }, ctx);
    return success(201);
  }

  /** serviceaccounts/token (TokenRequest): a signed token for the ServiceAccount, answered in the request's status. */
  async createToken(info: RequestInfo, body: unknown): Promise<Obj> {
    if (!this.tokens) throw serviceUnavailable('serviceaccounts/token is not available: no token signer is configured');
    const sa = await this.rest.get(this.rest.registry.mustGet('', 'serviceaccounts'), info.namespace, info.name);
    return this.tokens.request(sa, body) as Promise<Obj>;
  }

  /** pods/log: resolves pod, node and container, then streams from the node. */
  async logs(info: RequestInfo, q: URLSearchParams, signal: AbortSignal | undefined) {
    if (!this.streamer) throw serviceUnavailable('logs are not available: no node streaming endpoint is configured');
    const pod = await this.rest.get(this.rest.registry.mustGet('', 'pods'), info.namespace, info.name);
    const container = resolveContainer(pod, q.get('container') || undefined);
    if (!pod.spec?.nodeName) throw badRequest(`pod ${info.name} does not have a host assigned`);
    const num = (k: string) => (q.get(k) ? Number(q.get(k)) : undefined);
    for (const k of ['tailLines', 'sinceSeconds', 'limitBytes']) {
      const v = num(k);
      if (v !== undefined && (!Number.isInteger(v) || v < (k === 'tailLines' ? 0 : 1))) {
        throw invalid({ kind: 'PodLogOptions' }, [{ type: 'FieldValueInvalid', field: k, message: `Invalid value: ${q.get(k)}: must be ${k === 'tailLines' ? 'greater than or equal to 0' : 'greater than 0'}` }]);
      }
    }
    const abort = new AbortController();
    signal?.addEventListener('abort', () => abort.abort(), { once: true });
    const chunks = this.streamer.logs(
      { node: pod.spec.nodeName, namespace: info.namespace, pod: info.name, uid: pod.metadata.uid, container },
      {
        follow: q.get('follow') === 'true', previous: q.get('previous') === 'true', timestamps: q.get('timestamps') === 'true',
        tailLines: num('tailLines'), sinceSeconds: num('sinceSeconds'), sinceTime: q.get('sinceTime') || undefined, limitBytes: num('limitBytes'),
        signal: abort.signal,
      },
    );
    const limit = num('limitBytes');
    return { type: 'stream' as const, contentType: 'text/plain', chunks: limit === undefined ? chunks : truncate(chunks, limit, abort) };
  }
}

/** Ends a byte stream after `limit` bytes (the node is asked to honour limitBytes too; this guarantees it). */
async function* truncate(chunks: AsyncIterable<Uint8Array>, limit: number, abort: AbortController): AsyncIterable<Uint8Array> {
  let left = limit;
  for await (const chunk of chunks) {
    if (chunk.length >= left) {
      yield chunk.subarray(0, left);
      abort.abort();
      return;
    }
    left -= chunk.length;
    yield chunk;
  }
}

/** The container a streaming request means: the one named, or the only one (kubectl's default-container annotation aside). */
export function resolveContainer(pod: Obj, requested: string | undefined): string {
  const spec = pod.spec ?? {};
  const names = (spec.containers ?? []).map((c: Obj) => c.name as string);
  const all = [...names, ...(spec.initContainers ?? []).map((c: Obj) => c.name), ...(spec.ephemeralContainers ?? []).map((c: Obj) => c.name)];
  if (!requested) {
    if (names.length === 1) return names[0];
    throw badRequest(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${names.join(' ')}]`);
  }
  if (!all.includes(requested)) throw badRequest(`container ${requested} is not valid for pod ${pod.metadata.name}`);
  return requested;
}
