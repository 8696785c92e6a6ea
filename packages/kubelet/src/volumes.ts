import { chmod, chown, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod, Volume } from '@peapod/api-types';
import { failedMount, payloadVolumeKind, refreshVolume, type VolumeSources } from '@peapod/downward-api';

/** Kubernetes' plugin directory names, so a pod's directory reads like a real node's. */
const PLUGIN_DIR = { emptyDir: 'kubernetes.io~empty-dir', configMap: 'kubernetes.io~configmap', secret: 'kubernetes.io~secret', downwardAPI: 'kubernetes.io~downward-api', projected: 'kubernetes.io~projected' } as const;

/** Host directories of a pod's volumes, by volume name. */
export type VolumePaths = ReadonlyMap<string, string>;

/** Volume setup as the pod workers need it. Failures are `FailedMount` errors (`isFailedMount`). */
export interface VolumeSetup {
  /**
   * Makes every volume of the pod present under its pod directory and returns their host paths.
   * Called on every sync: configMap, secret, downwardAPI and projected contents are rewritten
   * (atomically, only when changed) so label and data changes reach running containers.
   */
  setUp(pod: Pod): Promise<VolumePaths>;
  /** Removes the pod's directory (after its containers are gone). Idempotent. */
  tearDown(uid: string): Promise<void>;
}

/**
 * Prepares volumes under `<rootDir>/pods/<uid>/volumes/<plugin>/<name>`: emptyDir as a plain
 * directory (medium Memory is not a tmpfs here), configMap/secret/downwardAPI/projected written by
 * the downward-api atomic writer, hostPath checked against its `type` (DirectoryOrCreate and
 * FileOrCreate create it). Other volume types are refused with a clear FailedMount message.
 */
export class VolumeManager implements VolumeSetup {
  constructor(private readonly rootDir: string, private readonly sources: VolumeSources) {}

  podDir(uid: string): string {
    return join(this.rootDir, 'pods', uid);
  }

  async setUp(pod: Pod): Promise<VolumePaths> {
    const paths = new Map<string, string>();
    for (const v of pod.spec?.volumes ?? []) paths.set(v.name, await this.setUpOne(pod, v));
    return paths;
  }

  async tearDown(uid: string): Promise<void> {
    await rm(this.podDir(uid), { recursive: true, force: true });
  }

  private async setUpOne(pod: Pod, v: Volume): Promise<string> {
    const dir = (plugin: string) => join(this.podDir(pod.metadata.uid!), 'volumes', plugin, v.name);
    if (v.emptyDir) {
      const d = dir(PLUGIN_DIR.emptyDir);
      await mkdir(d, { recursive: true });
      // World-writable as Kubernetes makes it, so a container of any runAsUser can use it (mkdir's
      // mode passes through the umask). With an fsGroup the volume belongs to that group and is
      // setgid, so what containers create in it belongs to the group too (SetVolumeOwnership; only
      // root may give a file to any group).
      const fsGroup = pod.spec?.securityContext?.fsGroup;
      if (fsGroup !== undefined && process.getuid?.() === 0) await chown(d, 0, fsGroup);
      await chmod(d, fsGroup !== undefined ? 0o2777 : 0o777);
      return d;
    }
    const kind = payloadVolumeKind(v);
    if (kind) {
      const d = dir(PLUGIN_DIR[kind]);
      await mkdir(d, { recursive: true });
      await refreshVolume(d, pod, v, this.sources);
      return d;
    }
    if (v.hostPath) return this.hostPath(v.name, v.hostPath.path, v.hostPath.type ?? '');
    const type = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
    throw failedMount(v.name, `volume type ${type} is not supported by this kubelet`);
  }

  private async hostPath(name: string, path: string, type: string): Promise<string> {
    const st = await stat(path).catch(() => undefined);
    const fail = (what: string) => failedMount(name, `hostPath type check failed: ${path} is not ${what}`);
    switch (type) {
      case 'DirectoryOrCreate':
        if (!st) await mkdir(path, { recursive: true, mode: 0o755 });
        else if (!st.isDirectory()) throw fail('a directory');
        break;
      case 'Directory':
        if (!st?.isDirectory()) throw fail('a directory');
        break;
      case 'FileOrCreate':
        if (!st) await writeFile(path, '', { mode: 0o644 });
        else if (!st.isFile()) throw fail('a file');
        break;
      case 'File':
        if (!st?.isFile()) throw fail('a file');
        break;
      case 'Socket':
        if (!st?.isSocket()) throw fail('a socket file');
        break;
      case 'CharDevice':
        if (!st?.isCharacterDevice()) throw fail('a character device');
        break;
      case 'BlockDevice':
        if (!st?.isBlockDevice()) throw fail('a block device');
        break;
    }
    return path;
  }
}
