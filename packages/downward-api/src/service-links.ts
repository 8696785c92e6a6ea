import { isIPv6 } from 'node:net';

/**
 * What the kubelet needs of a Service to make its link variables: a narrow projection the caller
 * fills from `metadata.name`, `metadata.namespace`, `spec.clusterIP` and `spec.ports`.
 */
export interface ServiceLink {
  name: string;
  namespace: string;
  clusterIP?: string;
  ports: ReadonlyArray<{ name?: string; port: number; protocol?: string }>;
}

const varName = (s: string) => s.replace(/-/g, '_').toUpperCase();

/** One service's variables (kubelet's `envvars.FromServices`), Docker link style included. */
const linkVars = (svc: ServiceLink & { clusterIP: string }): Array<[string, string]> => {
  const prefix = varName(svc.name);
  const vars: Array<[string, string]> = [
    [`${prefix}_SERVICE_HOST`, svc.clusterIP],
    [`${prefix}_SERVICE_PORT`, String(svc.ports[0].port)],
  ];
  for (const p of svc.ports) if (p.name) vars.push([`${prefix}_SERVICE_PORT_${varName(p.name)}`, String(p.port)]);
  const host = isIPv6(svc.clusterIP) ? `[${svc.clusterIP}]` : svc.clusterIP;
  svc.ports.forEach((p, i) => {
    const proto = (p.protocol || 'TCP').toLowerCase();
    const url = `${proto}://${host}:${p.port}`;
    if (i === 0) vars.push([`${prefix}_PORT`, url]);
    const portPrefix = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
    vars.push([portPrefix, url], [`${portPrefix}_PROTO`, proto], [`${portPrefix}_PORT`, String(p.port)], [`${portPrefix}_ADDR`, svc.clusterIP]);
  });
  return vars;
};

/**
 * The service link variables for a pod in `namespace` (kubelet's `getServiceEnvVarMap`): the
 * `kubernetes` service of the `default` namespace always, and, when `enableServiceLinks` (the
 * API default), every service of the pod's namespace, which wins over a same-named master
 * service. Headless services and services without ports give nothing. Pass the result as
 * `serviceEnv` to `resolveEnv`.
 */
export const serviceLinkEnv = (namespace: string, enableServiceLinks: boolean, services: readonly ServiceLink[]): Record<string, string> => {
  const chosen = new Map<string, ServiceLink & { clusterIP: string }>();
  for (const svc of services) {
    if (!svc.clusterIP || svc.clusterIP === 'None' || svc.ports.length === 0) continue;
    const withIP = { ...svc, clusterIP: svc.clusterIP };
    if (svc.namespace === 'default' && svc.name === 'kubernetes') {
      if (!chosen.has(svc.name)) chosen.set(svc.name, withIP);
    } else if (svc.namespace === namespace && enableServiceLinks) {
      chosen.set(svc.name, withIP);
    }
  }
  const names = [...chosen.keys()].sort();
  return Object.fromEntries(names.flatMap((n) => linkVars(chosen.get(n)!)));
};
