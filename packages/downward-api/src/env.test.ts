import type { ConfigMap, Container, EnvVar, Secret } from '@peapod/api-types';
import { notFound, serviceUnavailable } from '@peapod/api-types';
import { describe, expect, it } from 'vitest';
import { resolveEnv, type EnvSources } from './env.js';
import { isCreateContainerConfigError } from './errors.js';
import { makePod, NODE_ALLOCATABLE } from './testdata/pods.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const configMaps: Record<string, ConfigMap> = {
  app: { metadata: { name: 'app', namespace: 'shop' }, data: { url: 'http://db:5432', mode: 'prod', '1badkey': 'one', 'app.invalid': 'dotted' } },
  flags: { metadata: { name: 'flags', namespace: 'shop' }, data: { mode: 'debug', 'bad=key': 'x', ok: 'yes' } },
};
const secrets: Record<string, Secret> = {
  creds: { metadata: { name: 'creds', namespace: 'shop' }, data: { user: b64('admin'), password: b64('s3cr$(et)') } },
};
const sources: EnvSources = {
  configMaps: { getConfigMap: (ns, name) => (ns === 'shop' ? configMaps[name] : undefined) },
  secrets: { getSecret: async (ns, name) => (ns === 'shop' ? secrets[name] : undefined) },
  nodeAllocatable: NODE_ALLOCATABLE,
};

const container = (env: EnvVar[], extra: Partial<Container> = {}): Container => ({ name: 'app', image: 'busybox', env, ...extra });
const envOf = async (c: Container, s: EnvSources = sources, pod = makePod()) =>
  Object.fromEntries((await resolveEnv(pod, c, s)).env.map((e) => [e.name, e.value]));
const failure = async (c: Container, s: EnvSources = sources) => {
  const err = await resolveEnv(makePod(), c, s).then(() => undefined, (e: unknown) => e);
  if (!isCreateContainerConfigError(err)) throw new Error(`expected CreateContainerConfigError, got ${String(err)}`);
  return err.message;
};

describe('resolveEnv: sources', () => {
  it('resolves every fieldRef env path', async () => {
    const paths = ['metadata.name', 'metadata.namespace', 'metadata.uid', "metadata.labels['app']", "metadata.annotations['build/commit']",
      'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs'];
    const env = await envOf(container(paths.map((fieldPath, i) => ({ name: `V${i}`, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } }))));
    expect(Object.values(env)).toEqual(['web-0', 'shop', '6f1c2d3e-0000-4000-8000-000000000001', 'web', 'abc123', 'node-a', 'web-sa',
      '10.0.0.5', '10.0.0.5,fd00::5', '10.244.1.7', '10.244.1.7,fd00:244::7']);
  });

  it('resolves resourceFieldRef for itself and another container, falling back to node allocatable', async () => {
    const env = await envOf(container([
      { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
      { name: 'MEM_REQUEST_MI', valueFrom: { resourceFieldRef: { resource: 'requests.memory', divisor: '1Mi' } } },
      { name: 'STORAGE_LIMIT_GI', valueFrom: { resourceFieldRef: { resource: 'limits.ephemeral-storage', divisor: '1Gi' } } },
      { name: 'SIDECAR_CPU', valueFrom: { resourceFieldRef: { containerName: 'sidecar', resource: 'limits.cpu' } } },
      { name: 'SIDECAR_MEM_MI', valueFrom: { resourceFieldRef: { containerName: 'sidecar', resource: 'limits.memory', divisor: '1Mi' } } },
    ], { resources: { limits: { cpu: '250m', memory: '64Mi' }, requests: { memory: '32Mi' } } }));
    expect(env).toEqual({ CPU_LIMIT: '250', MEM_REQUEST_MI: '32', STORAGE_LIMIT_GI: '100', SIDECAR_CPU: '4', SIDECAR_MEM_MI: '8192' });
  });

  it("reports an init container's own limits when another container names it (no node fallback, as Kubernetes)", async () => {
    const pod = makePod({ initContainers: [{ name: 'init', image: 'busybox' }] });
    const env = await envOf(container([{ name: 'INIT_CPU', valueFrom: { resourceFieldRef: { containerName: 'init', resource: 'limits.cpu' } } }]), sources, pod);
    expect(env.INIT_CPU).toBe('0');
  });

  it('reads configMapKeyRef and secretKeyRef, decoding secret data', async () => {
    const env = await envOf(container([
      { name: 'DB_URL', valueFrom: { configMapKeyRef: { name: 'app', key: 'url' } } },
      { name: 'DB_USER', valueFrom: { secretKeyRef: { name: 'creds', key: 'user' } } },
    ]));
    expect(env).toEqual({ DB_URL: 'http://db:5432', DB_USER: 'admin' });
  });

  it('skips optional references whose object or key is missing', async () => {
    const env = await envOf(container([
      { name: 'A', valueFrom: { configMapKeyRef: { name: 'nope', key: 'x', optional: true } } },
      { name: 'B', valueFrom: { configMapKeyRef: { name: 'app', key: 'nope', optional: true } } },
      { name: 'C', valueFrom: { secretKeyRef: { name: 'nope', key: 'x', optional: true } } },
      { name: 'D', valueFrom: { secretKeyRef: { name: 'creds', key: 'nope', optional: true } } },
      { name: 'E', value: 'kept' },
    ]));
    expect(env).toEqual({ E: 'kept' });
  });

  it("fails a missing non-optional reference with CreateContainerConfigError and Kubernetes' message", async () => {
    expect(await failure(container([{ name: 'A', valueFrom: { configMapKeyRef: { name: 'nope', key: 'x' } } }]))).toBe('configmap "nope" not found');
    expect(await failure(container([{ name: 'A', valueFrom: { secretKeyRef: { name: 'nope', key: 'x' } } }]))).toBe('secret "nope" not found');
    expect(await failure(container([{ name: 'A', valueFrom: { configMapKeyRef: { name: 'app', key: 'x' } } }]))).toBe("couldn't find key x in ConfigMap shop/app");
    expect(await failure(container([{ name: 'A', valueFrom: { secretKeyRef: { name: 'creds', key: 'x' } } }]))).toBe("couldn't find key x in Secret shop/creds");
    expect(await failure(container([], { envFrom: [{ configMapRef: { name: 'nope' } }] }))).toBe('configmap "nope" not found');
    expect(await failure(container([], { envFrom: [{ secretRef: { name: 'nope' } }] }))).toBe('secret "nope" not found');
  });

  it('treats a NotFound thrown by a lookup as missing, and fails on any other lookup error', async () => {
    const throwing: EnvSources = {
      configMaps: {
        getConfigMap: (_ns, name) => {
          if (name === 'gone') throw notFound({ kind: 'configmaps', name });
          throw serviceUnavailable('apiserver is starting');
        },
      },
    };
    expect(await envOf(container([{ name: 'A', valueFrom: { configMapKeyRef: { name: 'gone', key: 'k', optional: true } } }]), throwing)).toEqual({});
    expect(await failure(container([{ name: 'A', valueFrom: { configMapKeyRef: { name: 'other', key: 'k', optional: true } } }]), throwing)).toBe('apiserver is starting');
    expect(await failure(container([{ name: 'A', valueFrom: { configMapKeyRef: { name: 'app', key: 'k' } } }]), {})).toBe("couldn't get configMap shop/app, no kubeClient defined");
  });

  it('fails on a field path the API would have refused', async () => {
    expect(await failure(container([{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'spec.hostname' } } }]))).toBe('field label not supported: spec.hostname');
  });
});

describe('resolveEnv: envFrom', () => {
  it('adds every key with its prefix, decoding secrets; env entries override envFrom', async () => {
    const env = await envOf(container([{ name: 'CFG_mode', value: 'override' }], {
      envFrom: [{ configMapRef: { name: 'app' }, prefix: 'CFG_' }, { secretRef: { name: 'creds' }, prefix: 'S_' }],
    }));
    expect(env).toEqual({
      CFG_url: 'http://db:5432', CFG_mode: 'override', CFG_1badkey: 'one', 'CFG_app.invalid': 'dotted',
      S_user: 'admin', S_password: 's3cr$(et)',
    });
  });

  it('lets a later source replace an earlier key, and skips a missing optional source', async () => {
    const env = await envOf(container([], { envFrom: [{ configMapRef: { name: 'app' } }, { configMapRef: { name: 'nope', optional: true } }, { secretRef: { name: 'nope', optional: true } }, { configMapRef: { name: 'flags' } }] }));
    expect(env.mode).toBe('debug');
    expect(env.url).toBe('http://db:5432');
  });

  it('keeps keys that are not C identifiers (Kubernetes 1.30+), but skips and reports names no runtime can carry', async () => {
    const { env, warnings } = await resolveEnv(makePod(), container([], { envFrom: [{ configMapRef: { name: 'flags' }, prefix: 'F_' }] }), sources);
    expect(env.map((e) => e.name)).toEqual(['F_mode', 'F_ok']);
    expect(warnings).toEqual([{
      reason: 'InvalidEnvironmentVariableNames',
      message: 'Keys [F_bad=key] from the EnvFrom configMap shop/flags were skipped since they are considered invalid environment variable names.',
    }]);
  });
});

describe('resolveEnv: $(VAR) expansion and order', () => {
  const serviceEnv = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', SHADOWED: 'from-service' };

  it('expands from earlier variables, envFrom keys and service links only', async () => {
    const env = await envOf(container([
      { name: 'HOST', value: 'db' },
      { name: 'URL', value: 'postgres://$(HOST):$(PORT)/$(mode)' },
      { name: 'PORT', value: '5432' },
      { name: 'API', value: 'https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)' },
      { name: 'MISSING', value: '$(NOT_DEFINED)-$$(HOST)-$$$(HOST)' },
      { name: 'SELF', value: '$(SELF)x' },
    ], { envFrom: [{ configMapRef: { name: 'app' } }] }), { ...sources, serviceEnv });
    expect(env.URL).toBe('postgres://db:$(PORT)/prod');
    expect(env.API).toBe('https://10.96.0.1:443');
    expect(env.MISSING).toBe('$(NOT_DEFINED)-$(HOST)-$db');
    expect(env.SELF).toBe('$(SELF)x');
  });

  it('uses the latest earlier definition and never re-expands a substituted value', async () => {
    const env = await envOf(container([
      { name: 'A', value: 'first' },
      { name: 'REF', value: '$$(A)' },
      { name: 'A', value: 'second' },
      { name: 'B', value: '$(A)/$(REF)' },
    ]));
    expect(env).toEqual({ A: 'second', REF: '$(A)', B: 'second/$(A)' });
  });

  it('uses valueFrom values verbatim, without expansion', async () => {
    const env = await envOf(container([
      { name: 'HOST', value: 'db' },
      { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
      { name: 'NOTE', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['note']" } } },
    ]));
    expect(env.PASSWORD).toBe('s3cr$(et)');
    expect(env.NOTE).toBe('line one\nline "two"');
  });

  it('lists envFrom keys, then env in declaration order, then service links the pod did not define', async () => {
    const { env } = await resolveEnv(makePod(), container([
      { name: 'Z', value: 'z' },
      { name: 'SHADOWED', value: 'mine' },
      { name: 'A', value: '' },
    ], { envFrom: [{ configMapRef: { name: 'flags' } }] }), { ...sources, serviceEnv });
    expect(env).toEqual([
      { name: 'mode', value: 'debug' },
      { name: 'ok', value: 'yes' },
      { name: 'Z', value: 'z' },
      { name: 'SHADOWED', value: 'mine' },
      { name: 'A', value: '' },
      { name: 'KUBERNETES_SERVICE_HOST', value: '10.96.0.1' },
      { name: 'KUBERNETES_SERVICE_PORT', value: '443' },
    ]);
  });
});
