import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { badRequest } from '@peapod/api-types';
import { parse } from 'yaml';
import type { HttpTransportOptions } from './http/transport.js';

interface Named<T> { name: string; [k: string]: unknown; cluster?: T; user?: T; context?: T }
interface KubeconfigFile {
  'current-context'?: string;
  clusters?: Named<Record<string, unknown>>[];
  users?: Named<Record<string, unknown>>[];
  contexts?: Named<{ cluster?: string; user?: string; namespace?: string }>[];
}

export interface LoadedKubeconfig extends HttpTransportOptions {
  /** The context's namespace, `default` when it names none (as kubectl). */
  namespace: string;
}

/**
 * Reads a kubeconfig as kubectl does for the chosen context (the file's `current-context` unless
 * `context` is given): the cluster's `server`, `certificate-authority-data` or
 * `certificate-authority` (a path relative to the file), `insecure-skip-tls-verify`, and the
 * user's `token`, `tokenFile` or client certificate. Exec and auth-provider plugins are not supported.
 */
export async function loadKubeconfig(path: string, context?: string): Promise<LoadedKubeconfig> {
  const doc = (parse(await readFile(path, 'utf8'), { maxAliasCount: 50 }) ?? {}) as KubeconfigFile;
  const bad = (why: string) => badRequest(`kubeconfig ${path}: ${why}`);
  const name = context ?? doc['current-context'];
  if (!name) throw bad('no current-context and no context was given');
  const ctx = doc.contexts?.find((c) => c.name === name)?.context;
  if (!ctx) throw bad(`context "${name}" not found`);
  const cluster = doc.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster) throw bad(`cluster "${ctx.cluster}" of context "${name}" not found`);
  const user = ctx.user ? doc.users?.find((u) => u.name === ctx.user)?.user : {};
  if (!user) throw bad(`user "${ctx.user}" of context "${name}" not found`);
  if (typeof cluster.server !== 'string') throw bad(`cluster "${ctx.cluster}" has no server`);

  const dir = dirname(path);
  const str = (o: Record<string, unknown>, k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
  /** Inline base64 `<k>-data` wins over the file `<k>`, as in client-go. */
  const pem = async (o: Record<string, unknown>, k: string) => {
    const data = str(o, `${k}-data`);
    if (data) return Buffer.from(data, 'base64');
    const file = str(o, k);
    return file ? readFile(resolve(dir, file)) : undefined;
  };
  const tokenFile = str(user, 'tokenFile');
  const token = str(user, 'token') ?? (tokenFile ? (await readFile(resolve(dir, tokenFile), 'utf8')).trim() : undefined);

  return {
    server: cluster.server,
    namespace: ctx.namespace || 'default',
    ca: await pem(cluster, 'certificate-authority'),
    cert: await pem(user, 'client-certificate'),
    key: await pem(user, 'client-key'),
    token,
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
  };
}
