import type { ConfigMap, Container, Pod, Secret } from '@peapod/api-types';
import { isNotFound, notFound } from '@peapod/api-types';
import { createContainerConfigError, isCreateContainerConfigError } from './errors.js';
import { expand, lookupIn } from './expansion.js';
import { effectiveLimits, envFieldValue, findContainer, resourceValue, type PodAddresses } from './fieldpath.js';
import type { ConfigMapLookup, EnvVarValue, ResourceList, SecretLookup } from './types.js';

export interface EnvSources extends PodAddresses {
  configMaps?: ConfigMapLookup;
  secrets?: SecretLookup;
  /** `node.status.allocatable`, reported for a `resourceFieldRef` whose limit is unset. */
  nodeAllocatable?: ResourceList;
  /**
   * Service link variables (`KUBERNETES_SERVICE_HOST`, `<SVC>_PORT`, ...) the kubelet computed for
   * the pod's namespace; they may be referenced by `$(VAR)` and are appended unless overridden.
   */
  serviceEnv?: Readonly<Record<string, string>>;
}

/** Something the user should hear about that did not stop the container (a Warning event). */
export interface EnvWarning {
  reason: 'InvalidEnvironmentVariableNames';
  message: string;
}

export interface ResolvedEnv {
  /**
   * The container's environment: envFrom keys, then `env` in declaration order (a later
   * definition replaces an earlier one in place), then service links not already defined.
   * Kubernetes leaves this order unspecified; Peapod keeps it stable.
   */
  env: EnvVarValue[];
  warnings: EnvWarning[];
}

/**
 * Names any container runtime can carry: printable ASCII except `=` (Kubernetes' relaxed rule,
 * the default since 1.32). Every ConfigMap or Secret key the API admits passes, prefixed or not;
 * a key that does not (only possible when an object skipped validation) is left out and reported.
 */
const isEnvVarName = (name: string) => /^[\x20-\x3c\x3e-\x7e]+$/.test(name);

const decode = (base64: string) => Buffer.from(base64, 'base64').toString('utf8');

/** Per-call cache and optional/NotFound handling shared by ConfigMaps and Secrets. */
const fetcher = <T>(kind: 'configmap' | 'secret', namespace: string, get: ((ns: string, name: string) => T | undefined | Promise<T | undefined>) | undefined) => {
  const seen = new Map<string, T>();
  /** The object, or `undefined` when it is missing and the reference is optional. */
  return async (name: string, optional: boolean): Promise<T | undefined> => {
    const cached = seen.get(name);
    if (cached) return cached;
    if (!get) throw createContainerConfigError(`couldn't get ${kind === 'configmap' ? 'configMap' : 'secret'} ${namespace}/${name}, no kubeClient defined`);
    let found: T | undefined;
    try {
      found = await get(namespace, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (found === undefined) {
      if (optional) return undefined;
      const err = notFound({ kind, name });
      throw createContainerConfigError(err.message, err);
    }
    seen.set(name, found);
    return found;
  };
};

/**
 * The final environment of `container` in `pod`, as the kubelet's `makeEnvironmentVariables`:
 *
 * 1. `envFrom` sources in order (with `prefix`), a missing non-optional source failing;
 * 2. each `env` entry in order: a non-empty `value` is `$(VAR)`-expanded against the variables
 *    defined so far (envFrom and earlier env) and then the service links; otherwise `valueFrom`
 *    is resolved (fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef) and used verbatim;
 * 3. service links not already defined.
 *
 * Rejects with a `CreateContainerConfigError` carrying Kubernetes' message, e.g.
 * `configmap "app" not found` or `couldn't find key url in ConfigMap ns/app`.
 * Called once per container start: env never changes for a running container.
 */
export const resolveEnv = async (pod: Pod, container: Container, sources: EnvSources = {}): Promise<ResolvedEnv> => {
  try {
    return await makeEnv(pod, container, sources);
  } catch (err) {
    if (isCreateContainerConfigError(err)) throw err;
    throw createContainerConfigError(err instanceof Error ? err.message : String(err), err);
  }
};

const makeEnv = async (pod: Pod, container: Container, sources: EnvSources): Promise<ResolvedEnv> => {
  const namespace = pod.metadata.namespace ?? '';
  const configMap = fetcher<ConfigMap>('configmap', namespace, sources.configMaps && ((ns, n) => sources.configMaps!.getConfigMap(ns, n)));
  const secret = fetcher<Secret>('secret', namespace, sources.secrets && ((ns, n) => sources.secrets!.getSecret(ns, n)));
  const serviceEnv = new Map(Object.entries(sources.serviceEnv ?? {}));
  const env = new Map<string, string>();
  const warnings: EnvWarning[] = [];

  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const isConfigMap = from.configMapRef !== undefined;
    const name = ref.name ?? '';
    const data = isConfigMap
      ? (await configMap(name, ref.optional === true))?.data
      : Object.fromEntries(Object.entries((await secret(name, ref.optional === true))?.data ?? {}).map(([k, v]) => [k, decode(v)]));
    const invalid: string[] = [];
    for (const [key, value] of Object.entries(data ?? {})) {
      const varName = (from.prefix ?? '') + key;
      if (isEnvVarName(varName)) env.set(varName, value);
      else invalid.push(varName);
    }
    if (invalid.length > 0) {
      warnings.push({
        reason: 'InvalidEnvironmentVariableNames',
        message: `Keys [${invalid.sort().join(', ')}] from the EnvFrom ${isConfigMap ? 'configMap' : 'secret'} ${namespace}/${name} were skipped since they are considered invalid environment variable names.`,
      });
    }
  }

  const lookup = lookupIn(env, serviceEnv);
  for (const v of container.env ?? []) {
    if (v.value) {
      env.set(v.name, expand(v.value, lookup));
      continue;
    }
    const from = v.valueFrom;
    let value = '';
    if (from?.fieldRef) {
      value = envFieldValue(pod, from.fieldRef, sources);
    } else if (from?.resourceFieldRef) {
      const { containerName } = from.resourceFieldRef;
      const target = containerName ? findContainer(pod, containerName) : container;
      // Kubernetes defaults the limits of the container itself and of regular containers only;
      // an init container named here reports its own limits.
      const defaulted = !containerName || pod.spec?.containers.some((c) => c.name === containerName);
      const limits = defaulted ? effectiveLimits(pod, target, sources.nodeAllocatable) : { ...target.resources?.limits };
      value = resourceValue(from.resourceFieldRef, limits, target.resources?.requests);
    } else if (from?.configMapKeyRef || from?.secretKeyRef) {
      const ref = (from.configMapKeyRef ?? from.secretKeyRef)!;
      const optional = ref.optional === true;
      const name = ref.name ?? '';
      const found = from.configMapKeyRef ? (await configMap(name, optional))?.data?.[ref.key] : (await secret(name, optional))?.data?.[ref.key];
      if (found === undefined) {
        if (optional) continue;
        throw createContainerConfigError(`couldn't find key ${ref.key} in ${from.configMapKeyRef ? 'ConfigMap' : 'Secret'} ${namespace}/${name}`);
      }
      value = from.configMapKeyRef ? found : decode(found);
    }
    env.set(v.name, value);
  }

  for (const [k, v] of serviceEnv) if (!env.has(k)) env.set(k, v);
  return { env: [...env].map(([name, value]) => ({ name, value })), warnings };
};
