import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { isStatusError } from '@peapod/api-types';
import { KUBELET_CLIENT_USER, certificateFits, joinCluster, writeKubeconfig, type NodeCredentials } from '@peapod/apiserver';
import { HttpTransport, KubeClient } from '@peapod/client';
import { Clock, Container, Logger, RealClock, composeModules, type ComposedApp } from '@peapod/core';
import { lockDataDir } from '../data-dir.js';
import { CliError } from '../errors.js';
import { fileLogger } from '../logger.js';
import { nodeAgentModule, nodeRootDir, parseRuntimeOptions, waitNodeReady } from '../node-agent.js';
import { RUNTIME_MODULES } from '../runtimes.js';
import { parseFlags, parseListen } from './args.js';
import { serveApp } from './up.js';

const USAGE = `Usage: peapod agent --server URL --node-name NAME [--token-file FILE] [flags]

Runs a kubelet in this process and joins it to a cluster ('peapod up' or 'peapod server').

Flags:
  --server URL              the API server, e.g. https://10.0.0.1:6443
  --token-file FILE         the join token the server wrote to its pki dir (join.token; the path
                            is printed when it starts); needed on the first start only
  --node-name NAME          this node's name (default: the host name)
  --data-dir DIR            credentials (pki/), the node's kubeconfig, pod directories and logs
                            (default ./.peapod-agent)
  --kubelet-listen HOST:PORT  the kubelet's HTTPS endpoint for logs, exec, attach and port-forward
                            (default: this machine's first non-loopback IPv4 address, port 10250;
                            port 0 picks a free one); HOST is the node's InternalIP and must be
                            reachable from the API server
  --runtime NAME            container runtime: process (default), docker, containerd, windows,
                            or an npm package announcing a runtime plugin
  --runtime-opt KEY=VALUE   a runtime option (repeatable), e.g. socketPath=/run/docker.sock
  --pod-manifest-path DIR   run static pods from manifests in DIR`;

export interface AgentOptions {
  server: string;
  tokenFile?: string;
  nodeName: string;
  dataDir: string;
  host: string;
  port: number;
  runtime: string;
  runtimeOptions: Record<string, string>;
  podManifestPath?: string;
}

/** The first non-internal IPv4 address of this machine, else loopback. */
function defaultAddress(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    const a = addrs?.find((x) => x.family === 'IPv4' && !x.internal);
    if (a) return a.address;
  }
  return '127.0.0.1';
}

export function agentOptions(argv: string[]): AgentOptions | undefined {
  const flags = parseFlags(argv, {
    server: { type: 'string' },
    'token-file': { type: 'string' },
    'node-name': { type: 'string' },
    'data-dir': { type: 'string' },
    'kubelet-listen': { type: 'string' },
    runtime: { type: 'string' },
    'runtime-opt': { type: 'string', multiple: true },
    'pod-manifest-path': { type: 'string' },
  }, USAGE);
  if (!flags) return undefined;
  if (!flags.server) throw new CliError('--server URL is required (the API server to join, e.g. https://10.0.0.1:6443)');
  let server: URL;
  try {
    server = new URL(flags.server);
  } catch {
    throw new CliError(`--server must be a URL such as https://10.0.0.1:6443 (got "${flags.server}")`);
  }
  if (server.protocol !== 'https:') throw new CliError(`--server must be an https:// URL (got "${flags.server}")`);
  const listen = flags['kubelet-listen'] ?? `${defaultAddress()}:10250`;
  let host: string;
  let port: number;
  try {
    ({ host, port } = parseListen(listen));
  } catch {
    throw new CliError(`--kubelet-listen must be HOST:PORT (got "${listen}")`);
  }
  if (host === '0.0.0.0' || host === '::') throw new CliError(`--kubelet-listen needs the address the API server reaches this node at, not ${host}`);
  return {
    server: server.origin,
    tokenFile: flags['token-file'],
    nodeName: (flags['node-name'] ?? (process.env.HOSTNAME || 'peapod-agent')).toLowerCase(),
    dataDir: flags['data-dir'] ?? '.peapod-agent',
    host,
    port,
    runtime: flags.runtime ?? 'process',
    runtimeOptions: parseRuntimeOptions((flags['runtime-opt'] ?? []) as unknown as string[]),
    podManifestPath: flags['pod-manifest-path'],
  };
}

const FILES = { caCert: 'ca.crt', clientCert: 'kubelet-client.crt', clientKey: 'kubelet-client.key', servingCert: 'kubelet.crt', servingKey: 'kubelet.key' } as const;

/** Credentials kept from an earlier join, if they still fit this node name and address. */
async function storedCredentials(dir: string, o: AgentOptions): Promise<NodeCredentials | undefined> {
  const read = (f: string) => readFile(join(dir, f), 'utf8').catch(() => '');
  const c = Object.fromEntries(await Promise.all(Object.entries(FILES).map(async ([k, f]) => [k, await read(f)]))) as unknown as NodeCredentials;
  if (!c.caCert || !certificateFits(c.clientCert, c.clientKey, c.caCert) || !certificateFits(c.servingCert, c.servingKey, c.caCert, [o.host])) return undefined;
  return new X509Certificate(c.clientCert).subject.split('\n').includes(`CN=system:node:${o.nodeName}`) ? c : undefined;
}

/** Joins with the token (first start, other node name or address) or reuses stored credentials. */
async function credentials(o: AgentOptions, say: (line: string) => void): Promise<NodeCredentials> {
  const dir = join(o.dataDir, 'pki');
  const stored = await storedCredentials(dir, o);
  if (stored) return stored;
  if (!o.tokenFile) throw new CliError(`no credentials for node ${o.nodeName} in ${dir} yet: pass --token-file with the server's join token (join.token in its pki dir)`);
  const token = await readFile(o.tokenFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read --token-file ${o.tokenFile}: ${err.code ?? err.message}`);
  });
  let creds: NodeCredentials;
  try {
    creds = await joinCluster(o.server, token, o.nodeName, [o.host]);
  } catch (err) {
    throw isStatusError(err) ? new CliError(`cannot join: ${err.message}`) : err;
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const [k, f] of Object.entries(FILES)) await writeFile(join(dir, f), creds[k as keyof NodeCredentials], { mode: f.endsWith('.key') ? 0o600 : 0o644 });
  // The node's own identity, for kubectl (as the kubelet's --kubeconfig): what it may do is what the kubelet may do.
  await writeKubeconfig(join(o.dataDir, 'kubeconfig'), { server: o.server, caCert: creds.caCert, cert: creds.clientCert, key: creds.clientKey, user: `system:node:${o.nodeName}` });
  say(`joined ${o.server} as node ${o.nodeName} (credentials in ${dir})`);
  return creds;
}

/** Composes the runtimes and one node whose kubelet reaches the server over HTTPS with its client certificate. */
export function composeAgent(o: AgentOptions, creds: NodeCredentials, logger: Logger, nodes: Map<string, ComposedApp>): ComposedApp {
  const c = Container.create().provide(Clock, { useValue: new RealClock() }).provide(Logger, { useValue: logger });
  const node = nodeAgentModule({
    nodeName: o.nodeName,
    runtime: o.runtime,
    runtimeOptions: { ...(o.runtime === 'process' ? { stateDir: join(o.dataDir, 'runtime') } : {}), ...o.runtimeOptions },
    rootDir: nodeRootDir(o.dataDir, o.nodeName),
    podManifestPath: o.podManifestPath,
    transport: () => new HttpTransport({ server: o.server, ca: creds.caCert, cert: creds.clientCert, key: creds.clientKey, userAgent: `peapod-agent/${o.nodeName}` }),
    serve: { host: o.host, port: o.port, advertise: o.host, cert: creds.servingCert, key: creds.servingKey, ca: creds.caCert, allowedUsers: [KUBELET_CLIENT_USER] },
    dependsOn: [],
  }, nodes);
  return composeModules([...RUNTIME_MODULES, node], c);
}

/** Maps start-up failures users can fix to one-line errors. */
function explain(err: unknown, o: AgentOptions): unknown {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EADDRINUSE') return new CliError(`${o.host}:${o.port} is already in use (another kubelet?); pass --kubelet-listen HOST:PORT`);
  if (e?.code === 'EADDRNOTAVAIL') return new CliError(`cannot listen on ${o.host}: not an address of this machine; pass --kubelet-listen with one of its addresses`);
  if (isStatusError(err) && err.code === 503) return new CliError(`cannot reach the server at ${o.server}: ${err.message}`);
  if (isStatusError(err) && (err.code === 401 || err.code === 403)) return new CliError(`the server at ${o.server} refused this node's credentials (${err.message}); remove ${join(o.dataDir, 'pki')} and join again with --token-file`);
  return err;
}

export async function agent(argv: string[]): Promise<number> {
  const parsed = agentOptions(argv);
  if (!parsed) return 0;
  const lock = lockDataDir(parsed.dataDir);
  const o = { ...parsed, dataDir: lock.dir };
  const { logger, flush } = fileLogger(join(o.dataDir, 'peapod-agent.log'));
  const say = (line: string) => console.log(`peapod: ${line}`);
  const t0 = performance.now();
  const composed = new Map<string, ComposedApp>();
  const release = () => { flush(); lock.release(); };
  let app: ComposedApp;
  try {
    app = composeAgent(o, await credentials(o, say), logger, composed);
  } catch (err) {
    release();
    throw explain(err, o);
  }
  return serveApp(app, {
    say, logger, release, starting: () => '', explain: (err) => explain(err, o),
    // Like a kubelet restart: containers keep running, and the next start adopts them.
    stopping: 'stopping (pods keep running; the next start adopts them)',
  }, async () => {
    const node = await waitNodeReady(composed.get(o.nodeName)!.container.resolve(KubeClient), o.nodeName, 30_000, join(o.dataDir, 'peapod-agent.log'));
    const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? o.port;
    say(`ready in ${Math.round(performance.now() - t0)} ms: node ${o.nodeName} is Ready in ${o.server} (kubelet at https://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port})`);
  });
}
