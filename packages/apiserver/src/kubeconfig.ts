import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes a kubeconfig (mode 0600) for `server` that trusts `caCert` and presents `token`, or the
 * client certificate `cert` with its `key` (PEM).
 * kubectl and @kubernetes/client-node read it unmodified. JSON is valid YAML, so no YAML writer is needed.
 */
const b64 = (pem: string) => Buffer.from(pem).toString('base64');

export async function writeKubeconfig(path: string, opts: { server: string; caCert: string; user?: string; cluster?: string } & ({ token: string } | { cert: string; key: string })): Promise<void> {
  const cluster = opts.cluster ?? 'peapod';
  const user = opts.user ?? 'admin';
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: opts.server, 'certificate-authority-data': b64(opts.caCert) } }],
    users: [{ name: user, user: 'token' in opts ? { token: opts.token } : { 'client-certificate-data': b64(opts.cert), 'client-key-data': b64(opts.key) } }],
    contexts: [{ name: cluster, context: { cluster, user, namespace: 'default' } }],
    'current-context': cluster,
    preferences: {},
  };
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}
