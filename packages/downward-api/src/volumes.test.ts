import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigMap, Secret, Volume } from '@peapod/api-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveEnv } from './env.js';
import { isFailedMount } from './errors.js';
import { makePod, NODE_ALLOCATABLE } from './testdata/pods.js';
import { payloadVolumeKind, refreshVolume, volumePayload, type TokenLookup, type VolumeSources } from './volumes.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const configMaps: Record<string, ConfigMap> = {
  app: { metadata: { name: 'app' }, data: { 'app.yaml': 'port: 80', 'log.level': 'info' }, binaryData: { 'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47]).toString('base64') } },
};
const secrets: Record<string, Secret> = { creds: { metadata: { name: 'creds' }, data: { user: b64('admin'), password: b64('hunter2') } } };
const tokens: TokenLookup & { requests: unknown[] } = {
  requests: [],
  requestToken(namespace, serviceAccountName, request) {
    this.requests.push({ namespace, serviceAccountName, ...request });
    return `token-for-${serviceAccountName}`;
  },
};
const sources: VolumeSources = {
  configMaps: { getConfigMap: (_ns, name) => configMaps[name] },
  secrets: { getSecret: (_ns, name) => secrets[name] },
  serviceAccountTokens: tokens,
  nodeAllocatable: NODE_ALLOCATABLE,
};

/** The payload as path → [text, mode], for readable assertions. */
const contents = async (volume: Volume, s: VolumeSources = sources, pod = makePod()) =>
  Object.fromEntries([...(await volumePayload(pod, volume, s))].map(([p, f]) => [p, [f.data.toString('latin1'), f.mode]]));
const mountFailure = async (volume: Volume, s: VolumeSources = sources) => {
  const err = await volumePayload(makePod(), volume, s).then(() => undefined, (e: unknown) => e);
  if (!isFailedMount(err)) throw new Error(`expected FailedMount, got ${String(err)}`);
  return err.message;
};

describe('downwardAPI volumes', () => {
  it('writes every field path and resource, with per-item mode and defaultMode', async () => {
    const got = await contents({
      name: 'podinfo',
      downwardAPI: {
        defaultMode: 0o640,
        items: [
          { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
          { path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } },
          { path: 'uid', fieldRef: { fieldPath: 'metadata.uid' } },
          { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
          { path: 'meta/annotations', fieldRef: { fieldPath: 'metadata.annotations' }, mode: 0o400 },
          { path: 'tier', fieldRef: { fieldPath: "metadata.labels['app.kubernetes.io/tier']" } },
          { path: 'cpu_limit', resourceFieldRef: { containerName: 'app', resource: 'limits.cpu', divisor: '1m' } },
          { path: 'mem_request', resourceFieldRef: { containerName: 'app', resource: 'requests.memory', divisor: '1Mi' } },
          { path: 'sidecar_mem_limit', resourceFieldRef: { containerName: 'sidecar', resource: 'limits.memory', divisor: '1Gi' } },
          { path: './dir//cleaned/', fieldRef: { fieldPath: 'metadata.name' } },
        ],
      },
    });
    expect(got).toEqual({
      name: ['web-0', 0o640],
      namespace: ['shop', 0o640],
      uid: ['6f1c2d3e-0000-4000-8000-000000000001', 0o640],
      labels: ['app="web"\napp.kubernetes.io/tier="frontend"', 0o640],
      'meta/annotations': ['build/commit="abc123"\nnote="line one\\nline \\"two\\""', 0o400],
      tier: ['frontend', 0o640],
      cpu_limit: ['250', 0o640],
      mem_request: ['32', 0o640],
      sidecar_mem_limit: ['8', 0o640],
      'dir/cleaned': ['web-0', 0o640],
    });
  });

  it('defaults the mode to 0644 when the volume was not defaulted', async () => {
    expect(await contents({ name: 'v', downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] } })).toEqual({ n: ['web-0', 0o644] });
  });

  it("fails the mount on every bad item at once, in Kubernetes' aggregate format", async () => {
    const message = await mountFailure({
      name: 'podinfo',
      downwardAPI: { items: [
        { path: 'node', fieldRef: { fieldPath: 'spec.nodeName' } },
        { path: 'cpu', resourceFieldRef: { resource: 'limits.cpu' } },
        { path: 'ok', fieldRef: { fieldPath: 'metadata.name' } },
        { path: 'ghost', resourceFieldRef: { containerName: 'ghost', resource: 'limits.cpu' } },
      ] },
    });
    expect(message).toBe('MountVolume.SetUp failed for volume "podinfo" : [unsupported fieldPath: spec.nodeName, cpu: resourceFieldRef.containerName is required in volumes, container ghost not found]');
  });
});

describe('configMap and secret volumes', () => {
  it('projects every key (data and binaryData) when no items are listed', async () => {
    expect(await contents({ name: 'cfg', configMap: { name: 'app', defaultMode: 0o444 } })).toEqual({
      'app.yaml': ['port: 80', 0o444],
      'log.level': ['info', 0o444],
      'logo.png': ['\x89PNG', 0o444],
    });
  });

  it('maps listed keys to paths with their own modes', async () => {
    expect(await contents({ name: 'cfg', configMap: { name: 'app', items: [{ key: 'app.yaml', path: 'conf/app.yaml', mode: 0o600 }, { key: 'logo.png', path: 'img/logo' }] } }))
      .toEqual({ 'conf/app.yaml': ['port: 80', 0o600], 'img/logo': ['\x89PNG', 0o644] });
  });

  it('decodes secrets', async () => {
    expect(await contents({ name: 's', secret: { secretName: 'creds', defaultMode: 0o400, items: [{ key: 'password', path: 'pw' }] } })).toEqual({ pw: ['hunter2', 0o400] });
  });

  it('treats a missing optional object as empty and skips its missing optional keys', async () => {
    expect(await contents({ name: 'cfg', configMap: { name: 'nope', optional: true } })).toEqual({});
    expect(await contents({ name: 's', secret: { secretName: 'creds', optional: true, items: [{ key: 'nope', path: 'x' }, { key: 'user', path: 'u' }] } })).toEqual({ u: ['admin', 0o644] });
  });

  it("fails the mount with Kubernetes' messages for missing objects and keys", async () => {
    expect(await mountFailure({ name: 'cfg', configMap: { name: 'nope' } })).toBe('MountVolume.SetUp failed for volume "cfg" : configmap "nope" not found');
    expect(await mountFailure({ name: 's', secret: { secretName: 'nope' } })).toBe('MountVolume.SetUp failed for volume "s" : secret "nope" not found');
    expect(await mountFailure({ name: 'cfg', configMap: { name: 'app', items: [{ key: 'nope', path: 'x' }] } }))
      .toBe('MountVolume.SetUp failed for volume "cfg" : configmap references non-existent config key: nope');
    expect(await mountFailure({ name: 's', secret: { secretName: 'creds', items: [{ key: 'nope', path: 'x' }] } }))
      .toBe('MountVolume.SetUp failed for volume "s" : secret references non-existent secret key: nope');
  });
});

describe('projected volumes', () => {
  it('merges sources in order under one defaultMode, a later file replacing an earlier one', async () => {
    tokens.requests.length = 0;
    const got = await contents({
      name: 'all',
      projected: {
        defaultMode: 0o440,
        sources: [
          { configMap: { name: 'app', items: [{ key: 'app.yaml', path: 'app.yaml' }, { key: 'log.level', path: 'user' }] } },
          { secret: { name: 'creds', items: [{ key: 'user', path: 'user' }] } },
          { downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
          { serviceAccountToken: { path: 'token', audience: 'vault', expirationSeconds: 600 } },
          { configMap: { name: 'missing', optional: true } },
        ],
      },
    });
    expect(got).toEqual({
      'app.yaml': ['port: 80', 0o440],
      user: ['admin', 0o440],
      labels: ['app="web"\napp.kubernetes.io/tier="frontend"', 0o440],
      token: ['token-for-web-sa', 0o440],
    });
    expect(tokens.requests).toEqual([{ namespace: 'shop', serviceAccountName: 'web-sa', audiences: ['vault'], expirationSeconds: 600, boundPod: { name: 'web-0', uid: '6f1c2d3e-0000-4000-8000-000000000001' } }]);
  });

  it('makes the token private to its owner when the pod sets fsUser or fsGroup', async () => {
    const v: Volume = { name: 't', projected: { defaultMode: 0o644, sources: [{ serviceAccountToken: { path: 'token' } }] } };
    const payload = await volumePayload(makePod(), v, { ...sources, fsGroup: 2000 });
    expect(payload.get('token')?.mode).toBe(0o600);
  });

  it('reports every failing source', async () => {
    const message = await mountFailure({ name: 'p', projected: { sources: [{ configMap: { name: 'a' } }, { secret: { name: 'b' } }, { serviceAccountToken: { path: 't' } }] } }, { configMaps: sources.configMaps, secrets: sources.secrets });
    expect(message).toBe('MountVolume.SetUp failed for volume "p" : [configmap "a" not found, secret "b" not found, cannot request a service account token: no token source is configured]');
  });
});

describe('payloadVolumeKind', () => {
  it('names the kinds this package writes and nothing else', () => {
    expect(payloadVolumeKind({ name: 'a', downwardAPI: {} })).toBe('downwardAPI');
    expect(payloadVolumeKind({ name: 'a', projected: {} })).toBe('projected');
    expect(payloadVolumeKind({ name: 'a', configMap: { name: 'x' } })).toBe('configMap');
    expect(payloadVolumeKind({ name: 'a', secret: {} })).toBe('secret');
    expect(payloadVolumeKind({ name: 'a', emptyDir: {} })).toBeUndefined();
  });
});

describe('refreshVolume', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'peapod-vol-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('reflects a label change in the volume while the env the container started with stays the same', async () => {
    const pod = makePod({ labels: { app: 'web', track: 'stable' } });
    const app = { name: 'app', image: 'busybox', env: [{ name: 'TRACK', valueFrom: { fieldRef: { fieldPath: "metadata.labels['track']" } } }] };
    pod.spec!.containers = [app];
    const volume: Volume = { name: 'podinfo', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'track', fieldRef: { fieldPath: "metadata.labels['track']" } }] } };
    const vol = join(dir, 'podinfo');

    const { env } = await resolveEnv(pod, app);
    expect(await refreshVolume(vol, pod, volume)).toEqual({ written: true });
    expect(await refreshVolume(vol, pod, volume)).toEqual({ written: false });
    expect(await fs.readFile(join(vol, 'labels'), 'utf8')).toBe('app="web"\ntrack="stable"');

    // `kubectl label pod web-0 track=canary --overwrite`, then the next sync
    const relabelled = { ...pod, metadata: { ...pod.metadata, labels: { app: 'web', track: 'canary' } } };
    expect(await refreshVolume(vol, relabelled, volume)).toEqual({ written: true });
    expect(await fs.readFile(join(vol, 'labels'), 'utf8')).toBe('app="web"\ntrack="canary"');
    expect(await fs.readFile(join(vol, 'track'), 'utf8')).toBe('canary');
    expect(env).toEqual([{ name: 'TRACK', value: 'stable' }]);
  });

  it('reports a write failure as FailedMount', async () => {
    const err = await refreshVolume(join(dir, 'v'), makePod(), { name: 'v', downwardAPI: { items: [{ path: '..sneaky', fieldRef: { fieldPath: 'metadata.name' } }] } })
      .then(() => undefined, (e: unknown) => e);
    expect(isFailedMount(err) && err.message).toBe(`MountVolume.SetUp failed for volume "v" : invalid path: must not start with '..': ..sneaky`);
  });
});
