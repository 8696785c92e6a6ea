import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes a kubeconfig (mode 0600) for `server` that trusts `caCert` and presents `token`.
 * kubectl and @kubernetes/client-node read it unmodified. JSON is valid YAML, so no YAML writer is needed.
 */
export async function writeKubeconfig(path: string, opts: { server: string; caCert: string; token: string; user?: string; cluster?: string }): Promise<void> {
  const cluster = opts.cluster ?? 'peapod';
  const user = opts.user ?? 'admin';
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: opts.server, 'certificate-authority-data': Buffer.from(opts.caCert).toString('base64') } }],
    users: [{ name: user, user: { token: opts.token } }],
    contexts: [{ name: cluster, context: { cluster, user, namespace: 'default' } }],
    'current-context': cluster,
    preferences: {},
  };
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}
