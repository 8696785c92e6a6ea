import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultPod, type Pod } from '@peapod/api-types';
import type { Clock, Logger, TimerHandle } from '@peapod/core';
import { rfc3339 } from './pod-util.js';

export const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
export const CONFIG_HASH_ANNOTATION = 'kubernetes.io/config.hash';
export const CONFIG_SOURCE_ANNOTATION = 'kubernetes.io/config.source';
export const CONFIG_SEEN_ANNOTATION = 'kubernetes.io/config.seen';

export const isMirrorPod = (pod: Pod): boolean => pod.metadata.annotations?.[MIRROR_ANNOTATION] !== undefined;
export const isStaticPod = (pod: Pod): boolean => pod.metadata.annotations?.[CONFIG_SOURCE_ANNOTATION] === 'file';

/** Parses a manifest file's text; JSON is built in, YAML needs a parser handed in (e.g. `yaml`'s `parse`). */
export type ManifestParser = (text: string, file: string) => unknown;

/**
 * A static pod from a manifest (kubelet's file source): named `<name>-<node>`, in `default` unless
 * it says otherwise, bound to this node, with a uid derived from the node, the file and its
 * content (so an edited file is a new pod), and the config annotations the kubelet adds.
 */
export function staticPodFromManifest(manifest: unknown, file: string, nodeName: string, seenAt: number): Pod {
  const pod = structuredClone(manifest) as Pod;
  if (!pod || typeof pod !== 'object' || pod.kind !== 'Pod' || !pod.metadata?.name || !pod.spec) throw new Error(`${file}: not a Pod manifest with metadata.name and spec`);
  const uid = createHash('md5').update(nodeName).update(file).update(JSON.stringify(manifest)).digest('hex');
  const defaulted = defaultPod(pod);
  return {
    ...defaulted,
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...defaulted.metadata,
      name: `${pod.metadata.name}-${nodeName}`,
      namespace: pod.metadata.namespace || 'default',
      uid,
      annotations: {
        ...(pod.metadata.annotations ?? {}),
        [CONFIG_HASH_ANNOTATION]: uid,
        [CONFIG_SOURCE_ANNOTATION]: 'file',
        [CONFIG_SEEN_ANNOTATION]: rfc3339(seenAt),
      },
    },
    spec: { ...defaulted.spec!, nodeName },
  };
}

/**
 * The mirror of a static pod, to be created in the API: the static pod with the
 * `kubernetes.io/config.mirror` annotation (its config hash) and a controller reference to the
 * Node, so it is visible in the API but owned by the kubelet.
 */
export function mirrorPodOf(staticPod: Pod, node: { name: string; uid?: string }): Pod {
  const { uid: _uid, resourceVersion: _rv, ...metadata } = staticPod.metadata;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...metadata,
      annotations: { ...(metadata.annotations ?? {}), [MIRROR_ANNOTATION]: staticPod.metadata.annotations![CONFIG_HASH_ANNOTATION] },
      ...(node.uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.name, uid: node.uid, controller: true }] } : {}),
    },
    spec: staticPod.spec,
  };
}

export interface StaticPodHandler {
  upsert(pod: Pod): void;
  remove(pod: Pod): void;
}

/**
 * Watches a manifest directory (kubelet's `--pod-manifest-path`) by rescanning it every period:
 * a new file adds a pod, an edited file replaces it (new uid), a removed file removes it. A file
 * that cannot be read or parsed is reported and skipped, and does not disturb the others.
 */
export class StaticPodSource {
  private readonly known = new Map<string, Pod>();
  private timer?: TimerHandle;
  /** The scan in progress: a period that ends while one runs does not start a second. */
  private scanning?: Promise<void>;

  constructor(
    private readonly dir: string,
    private readonly nodeName: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly periodMs: number,
    private readonly parseYaml?: ManifestParser,
  ) {}

  async start(handler: StaticPodHandler): Promise<void> {
    await this.rescan(handler);
    this.timer = this.clock.setInterval(() => void this.rescan(handler), this.periodMs);
  }

  /** Resolves when no scan is in progress (its changes, if any, were handed to the handler). */
  async idle(): Promise<void> {
    await this.scanning;
  }

  stop(): void {
    this.timer?.cancel();
  }

  private rescan(handler: StaticPodHandler): Promise<void> {
    this.scanning ??= this.scan(handler).finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private async scan(handler: StaticPodHandler): Promise<void> {
    const files = (await readdir(this.dir).catch(() => [] as string[])).filter((f) => !f.startsWith('.')).sort();
    const seen = new Map<string, Pod>();
    for (const f of files) {
      try {
        const path = join(this.dir, f);
        const text = await readFile(path, 'utf8');
        const manifest = f.endsWith('.json') ? JSON.parse(text) : this.parseYaml ? this.parseYaml(text, path) : undefined;
        if (manifest === undefined) throw new Error(`${path}: only .json manifests can be read without a YAML parser`);
        const pod = staticPodFromManifest(manifest, path, this.nodeName, this.clock.now());
        seen.set(pod.metadata.uid!, this.known.get(pod.metadata.uid!) ?? pod);
      } catch (err) {
        this.logger.warn('static pod manifest skipped', { file: f, error: String(err) });
      }
    }
    for (const [uid, pod] of this.known) if (!seen.has(uid)) handler.remove(pod);
    for (const [uid, pod] of seen) if (!this.known.has(uid)) handler.upsert(pod);
    this.known.clear();
    for (const [uid, pod] of seen) this.known.set(uid, pod);
  }
}
