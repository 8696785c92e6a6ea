import { posix } from 'node:path';
import type { ConfigMap, DownwardAPIVolumeFile, KeyToPath, Pod, Secret, ServiceAccountTokenProjection, Volume } from '@peapod/api-types';
import { badRequest, isNotFound, notFound } from '@peapod/api-types';
import { writeAtomically, type Payload, type WriteResult } from './atomic-writer.js';
import { failedMount, isFailedMount } from './errors.js';
import { effectiveLimits, findContainer, resourceValue, volumeFieldValue } from './fieldpath.js';
import type { ConfigMapLookup, ResourceList, SecretLookup } from './types.js';

/** Requests a bound service account token (the TokenRequest API) for a projected volume. */
export interface TokenLookup {
  requestToken(
    namespace: string,
    serviceAccountName: string,
    request: { audiences: string[]; expirationSeconds?: number; boundPod: { name: string; uid: string } },
  ): string | Promise<string>;
}

export interface VolumeSources {
  configMaps?: ConfigMapLookup;
  secrets?: SecretLookup;
  serviceAccountTokens?: TokenLookup;
  /** `node.status.allocatable`, reported for a `resourceFieldRef` whose limit is unset. */
  nodeAllocatable?: ResourceList;
  /** The pod's `securityContext.fsGroup`/runAsUser the runtime applies; a token file is then 0600. */
  fsUser?: number;
  fsGroup?: number;
}

/** The volume kinds whose contents this package computes and writes. */
export const PAYLOAD_VOLUME_KINDS = ['downwardAPI', 'projected', 'configMap', 'secret'] as const;
export type PayloadVolumeKind = (typeof PAYLOAD_VOLUME_KINDS)[number];

/** Which payload kind a volume is, if any; the kubelet refreshes exactly these on every sync. */
export const payloadVolumeKind = (volume: Volume): PayloadVolumeKind | undefined => PAYLOAD_VOLUME_KINDS.find((k) => volume[k] !== undefined);

/** The API default for `defaultMode` (0644), used when an object was not defaulted. */
const DEFAULT_MODE = 0o644;

/** Go's `filepath.Clean` for the relative paths items name (`a//b/./c` → `a/b/c`). */
const clean = (p: string) => posix.normalize(p).replace(/(.)\/+$/, '$1');

/** Collects every item's failure before failing once, as the kubelet's aggregate errors do. */
class Problems {
  readonly list: Error[] = [];
  async run(f: () => Promise<void> | void) {
    try {
      await f();
    } catch (err) {
      this.list.push(err instanceof Error ? err : new Error(String(err)));
    }
  }
  /** apimachinery's `NewAggregate(...).Error()`: one message alone, several as `[a, b]`. */
  get message() {
    return this.list.length === 1 ? this.list[0].message : `[${this.list.map((e) => e.message).join(', ')}]`;
  }
}

const downwardApiFiles = (pod: Pod, items: readonly DownwardAPIVolumeFile[], defaultMode: number, sources: VolumeSources, out: Payload, problems: Problems) =>
  Promise.all(items.map((item) => problems.run(() => {
    let text: string;
    if (item.fieldRef) {
      text = volumeFieldValue(pod, item.fieldRef);
    } else if (item.resourceFieldRef) {
      const name = item.resourceFieldRef.containerName;
      if (!name) throw badRequest(`${item.path}: resourceFieldRef.containerName is required in volumes`);
      const container = findContainer(pod, name);
      text = resourceValue(item.resourceFieldRef, effectiveLimits(pod, container, sources.nodeAllocatable), container.resources?.requests);
    } else {
      text = '';
    }
    out.set(clean(item.path), { data: Buffer.from(text), mode: item.mode ?? defaultMode });
  })));

/** Kind-specific wording of the kubelet's configMap and secret volume plugins. */
const KEYED = {
  configMap: { kind: 'configmap', missingKey: 'configmap references non-existent config key' },
  secret: { kind: 'secret', missingKey: 'secret references non-existent secret key' },
} as const;

/**
 * Files of a ConfigMap or Secret (`MakePayload`): every key when `items` is empty, else the listed
 * keys at their paths. A missing object is an error unless `optional` (then it counts as empty); a
 * missing key likewise.
 */
const keyedFiles = async (
  kind: keyof typeof KEYED,
  fetch: () => Promise<ConfigMap | Secret | undefined>,
  name: string,
  source: { items?: KeyToPath[]; optional?: boolean },
  defaultMode: number,
  out: Payload,
) => {
  let object: ConfigMap | Secret | undefined;
  try {
    object = await fetch();
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!object && !source.optional) throw notFound({ kind: KEYED[kind].kind, name });
  // ConfigMap `data` is text and `binaryData` base64; Secret `data` is base64.
  const files = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(object?.data ?? {})) files.set(k, Buffer.from(v, kind === 'secret' ? 'base64' : 'utf8'));
  if (object && 'binaryData' in object) for (const [k, v] of Object.entries(object.binaryData ?? {})) files.set(k, Buffer.from(v, 'base64'));
  if (!source.items?.length) {
    for (const [k, data] of files) out.set(k, { data, mode: defaultMode });
    return;
  }
  for (const item of source.items) {
    const data = files.get(item.key);
    if (data === undefined) {
      if (source.optional) continue;
      throw badRequest(`${KEYED[kind].missingKey}: ${item.key}`);
    }
    out.set(clean(item.path), { data, mode: item.mode ?? defaultMode });
  }
};

const serviceAccountToken = async (pod: Pod, projection: ServiceAccountTokenProjection, defaultMode: number, sources: VolumeSources, out: Payload) => {
  if (!sources.serviceAccountTokens) throw badRequest('cannot request a service account token: no token source is configured');
  const token = await sources.serviceAccountTokens.requestToken(pod.metadata.namespace ?? '', pod.spec?.serviceAccountName ?? 'default', {
    audiences: projection.audience ? [projection.audience] : [],
    ...(projection.expirationSeconds !== undefined ? { expirationSeconds: projection.expirationSeconds } : {}),
    boundPod: { name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' },
  });
  // With an fsUser or fsGroup the token is private to that owner (the kubelet's rule).
  const owned = sources.fsUser !== undefined || sources.fsGroup !== undefined;
  out.set(clean(projection.path), { data: Buffer.from(token), mode: owned ? 0o600 : defaultMode, ...(sources.fsUser !== undefined ? { fsUser: sources.fsUser } : {}) });
};

/**
 * The files a `downwardAPI`, `projected`, `configMap` or `secret` volume holds right now, keyed
 * by relative path. Rejects with a `FailedMount` error whose message is what Kubernetes shows,
 * e.g. `MountVolume.SetUp failed for volume "cfg" : configmap "app" not found`.
 */
export const volumePayload = async (pod: Pod, volume: Volume, sources: VolumeSources = {}): Promise<Payload> => {
  const namespace = pod.metadata.namespace ?? '';
  const noClient = (kind: string, name: string) => badRequest(`couldn't get ${kind} ${namespace}/${name}, no kubeClient defined`);
  const configMap = (name: string) => async () => {
    if (!sources.configMaps) throw noClient('configMap', name);
    return sources.configMaps.getConfigMap(namespace, name);
  };
  const secret = (name: string) => async () => {
    if (!sources.secrets) throw noClient('secret', name);
    return sources.secrets.getSecret(namespace, name);
  };
  const out: Payload = new Map();
  const problems = new Problems();
  const { downwardAPI, projected } = volume;
  if (downwardAPI) {
    await downwardApiFiles(pod, downwardAPI.items ?? [], downwardAPI.defaultMode ?? DEFAULT_MODE, sources, out, problems);
  } else if (volume.configMap) {
    const src = volume.configMap;
    await problems.run(() => keyedFiles('configMap', configMap(src.name ?? ''), src.name ?? '', src, src.defaultMode ?? DEFAULT_MODE, out));
  } else if (volume.secret) {
    const src = volume.secret;
    await problems.run(() => keyedFiles('secret', secret(src.secretName ?? ''), src.secretName ?? '', src, src.defaultMode ?? DEFAULT_MODE, out));
  } else if (projected) {
    const mode = projected.defaultMode ?? DEFAULT_MODE;
    // Sources apply in order; a later file at the same path replaces an earlier one.
    for (const s of projected.sources ?? []) {
      if (s.downwardAPI) await downwardApiFiles(pod, s.downwardAPI.items ?? [], mode, sources, out, problems);
      else if (s.configMap) await problems.run(() => keyedFiles('configMap', configMap(s.configMap!.name ?? ''), s.configMap!.name ?? '', s.configMap!, mode, out));
      else if (s.secret) await problems.run(() => keyedFiles('secret', secret(s.secret!.name ?? ''), s.secret!.name ?? '', s.secret!, mode, out));
      else if (s.serviceAccountToken) await problems.run(() => serviceAccountToken(pod, s.serviceAccountToken!, mode, sources, out));
    }
  } else {
    throw failedMount(volume.name, 'volume is not a downwardAPI, projected, configMap or secret volume');
  }
  if (problems.list.length > 0) throw failedMount(volume.name, problems.message, problems.list.length === 1 ? problems.list[0] : problems.list);
  return out;
};

/**
 * Computes the volume's files and writes them atomically into `dir` (see `writeAtomically`).
 * The kubelet calls this when it sets the volume up and again on every pod sync, so label and
 * annotation changes reach the files within a sync period; unchanged contents are not rewritten.
 */
export const refreshVolume = async (dir: string, pod: Pod, volume: Volume, sources: VolumeSources = {}): Promise<WriteResult> => {
  const payload = await volumePayload(pod, volume, sources);
  try {
    return await writeAtomically(dir, payload);
  } catch (err) {
    if (isFailedMount(err)) throw err;
    throw failedMount(volume.name, err instanceof Error ? err.message : String(err), err);
  }
};

