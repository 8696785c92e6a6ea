import type { ConfigMap, Secret } from '@peapod/api-types';

/**
 * Lookups the kubelet backs with its client (or an informer cache) and unit tests with plain maps.
 * Answer `undefined` (or throw a NotFound `StatusError`) when the object does not exist, so
 * `optional` references can be honoured; any other throw fails the container or volume, as the
 * kubelet's own lookups do.
 */
export interface ConfigMapLookup {
  getConfigMap(namespace: string, name: string): ConfigMap | undefined | Promise<ConfigMap | undefined>;
}
export interface SecretLookup {
  getSecret(namespace: string, name: string): Secret | undefined | Promise<Secret | undefined>;
}

/** One resolved environment variable, as the runtime receives it. */
export interface EnvVarValue {
  name: string;
  value: string;
}

/** A resource list as the API carries it: resource name to quantity string. */
export type ResourceList = Readonly<Record<string, string>>;
