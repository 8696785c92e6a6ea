import { X509Certificate, randomBytes, type webcrypto } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { connect, type DetailedPeerCertificate } from 'node:tls';
import type * as X509 from '@peculiar/x509';
import { StatusError, badRequest, forbidden, invalid, isDNS1123Subdomain, serviceUnavailable, type FieldError } from '@peapod/api-types';
import { HttpTransport } from '@peapod/client';
import { BOOTSTRAPPERS_GROUP, MASTERS_GROUP, NODES_GROUP, NODE_USER_PREFIX, type UserInfo } from './auth.js';
import { caHash, issueCertificate, loadX509, newKeyPair, pemKey, type ClusterCa } from './pki.js';

/**
 * Joining a node to the cluster, as kubeadm's bootstrap token with `--discovery-token-ca-cert-hash`
 * or k3s' `K10<ca-hash>::server:<secret>` token: one token text both pins the cluster CA (so the
 * agent verifies the server without a CA file) and authenticates the agent for exactly one call,
 * `POST /peapod/v1/join`, which signs the agent's two certificate requests:
 *   - a client certificate `CN=system:node:<name>, O=system:nodes` (what the kubelet's TLS
 *     bootstrap ends with; the Node authorizer then confines it), and
 *   - a serving certificate for the kubelet's HTTPS endpoint, with the agent's addresses as SANs.
 * The private keys never leave the agent. Anyone holding the token may join under any node name
 * (as with kubeadm and k3s tokens), so the token is kept like a password (`<pkiDir>/join.token`, 0600).
 *
 * Token text: `peapod1.<sha256 of the CA's SubjectPublicKeyInfo, hex>.<secret>`.
 */
export const JOIN_PATH = '/peapod/v1/join';
/** The identity the join token authenticates as (kubeadm's bootstrap token users are `system:bootstrap:<id>`). */
export const BOOTSTRAP_USER: UserInfo = { name: 'system:bootstrap:peapod', groups: [BOOTSTRAPPERS_GROUP, 'system:authenticated'] };

const TOKEN_PREFIX = 'peapod1';
const TOKEN_RE = /^peapod1\.([0-9a-f]{64})\.([A-Za-z0-9_-]{32,})$/;

export interface JoinToken {
  /** Hex SHA-256 of the CA's public key (SPKI). */
  caHash: string;
  secret: string;
}

export const formatJoinToken = (t: JoinToken) => `${TOKEN_PREFIX}.${t.caHash}.${t.secret}`;

/** Parses a token text; a malformed one is a 400 saying what a token looks like. */
export function parseJoinToken(text: string): JoinToken {
  const m = TOKEN_RE.exec(text.trim());
  if (!m) throw badRequest(`malformed join token: expected ${TOKEN_PREFIX}.<64 hex digits>.<secret>, as written to <pkiDir>/join.token by the server`);
  return { caHash: m[1], secret: m[2] };
}

/**
 * The server's join token: read from `<pkiDir>/join.token`, or created there (0600) on first start.
 * A token pinning another CA (the CA was replaced) is replaced too. Concurrent first starts of
 * servers sharing the directory agree on one token (exclusive create, then read).
 */
export async function loadOrCreateJoinToken(pkiDir: string, caPem: string): Promise<string> {
  const path = join(pkiDir, 'join.token');
  const hash = caHash(caPem);
  const current = await readFile(path, 'utf8').then((s) => s.trim(), () => '');
  if (current && TOKEN_RE.test(current) && parseJoinToken(current).caHash === hash) return current;
  const token = formatJoinToken({ caHash: hash, secret: randomBytes(24).toString('base64url') });
  try {
    await writeFile(path, `${token}\n`, { mode: 0o600, flag: current ? 'w' : 'wx' });
    return token;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return (await readFile(path, 'utf8')).trim();
  }
}

/** What the agent sends: its node name, the addresses its kubelet serves on, and two PKCS#10 requests (PEM). */
export interface JoinRequest {
  nodeName: string;
  addresses: string[];
  clientCsr: string;
  servingCsr: string;
}

/** What the server answers: the cluster CA and the two certificates (PEM). */
export interface NodeCertificates {
  apiVersion: 'peapod.dev/v1';
  kind: 'NodeCertificates';
  caCert: string;
  clientCert: string;
  servingCert: string;
}

const MAX_ADDRESSES = 16;

async function checkCsr(errs: FieldError[], field: string, value: unknown): Promise<X509.Pkcs10CertificateRequest | undefined> {
  if (typeof value !== 'string' || !value) {
    errs.push({ type: 'FieldValueRequired', field, message: 'Required value: a PEM certificate request' });
    return undefined;
  }
  try {
    const csr = new (await loadX509()).Pkcs10CertificateRequest(value);
    if (await csr.verify()) return csr;
  } catch {
    // reported below
  }
  errs.push({ type: 'FieldValueInvalid', field, message: 'Invalid value: not a PKCS#10 request signed by its own key' });
  return undefined;
}

/**
 * Handles `POST /peapod/v1/join` for an authenticated `user`: only the join token's identity (or
 * an admin) may call it, everyone else gets 403. The request is validated as a whole (422 with
 * every problem), then both certificates are issued.
 */
export async function serveJoin(ca: ClusterCa, user: UserInfo, body: unknown): Promise<NodeCertificates> {
  if (!user.groups.includes(BOOTSTRAPPERS_GROUP) && !user.groups.includes(MASTERS_GROUP)) {
    throw forbidden({}, `User "${user.name}" cannot post path "${JOIN_PATH}": only a join token may obtain node credentials`);
  }
  const req = (body && typeof body === 'object' ? body : {}) as Partial<Record<keyof JoinRequest, unknown>>;
  const errs: FieldError[] = [];
  const nodeName = typeof req.nodeName === 'string' ? req.nodeName : '';
  if (!nodeName) errs.push({ type: 'FieldValueRequired', field: 'nodeName', message: 'Required value' });
  else for (const m of isDNS1123Subdomain(nodeName)) errs.push({ type: 'FieldValueInvalid', field: 'nodeName', message: `Invalid value: ${JSON.stringify(nodeName)}: ${m}` });
  const addresses = Array.isArray(req.addresses) ? req.addresses : [];
  if (addresses.length > MAX_ADDRESSES) errs.push({ type: 'FieldValueTooMany', field: 'addresses', message: `Too many: ${addresses.length}: must have at most ${MAX_ADDRESSES} items` });
  addresses.forEach((a, i) => {
    if (typeof a !== 'string' || (!isIP(a) && isDNS1123Subdomain(a).length)) errs.push({ type: 'FieldValueInvalid', field: `addresses[${i}]`, message: `Invalid value: ${JSON.stringify(a)}: must be an IP address or a DNS name` });
  });
  const clientCsr = await checkCsr(errs, 'clientCsr', req.clientCsr);
  const servingCsr = await checkCsr(errs, 'servingCsr', req.servingCsr);
  if (errs.length || !clientCsr || !servingCsr) throw invalid({ kind: 'NodeCertificateRequest', name: nodeName }, errs);
  const publicKey = async (csr: X509.Pkcs10CertificateRequest) => csr.publicKey.export();
  return {
    apiVersion: 'peapod.dev/v1',
    kind: 'NodeCertificates',
    caCert: ca.certPem,
    clientCert: await issueCertificate(ca, { subject: `CN=${NODE_USER_PREFIX}${nodeName}, O=${NODES_GROUP}`, usage: 'client', publicKey: await publicKey(clientCsr) }),
    servingCert: await issueCertificate(ca, { subject: `CN=${NODE_USER_PREFIX}${nodeName}`, usage: 'server', hosts: [...new Set([...(addresses as string[]), nodeName])], publicKey: await publicKey(servingCsr) }),
  };
}

/** Credentials a joined node keeps (PEM). */
export interface NodeCredentials {
  caCert: string;
  clientCert: string;
  clientKey: string;
  servingCert: string;
  servingKey: string;
}

/**
 * Reads the CA the server presents in its TLS chain and returns it if its public key hash is the
 * pinned one; the connection is not trusted for anything else (no secret is sent on it).
 * Failures: 503 when the server cannot be reached, 403 when no certificate matches the pin.
 */
export async function discoverCa(server: string, pinnedHash: string, timeoutMs = 10_000): Promise<string> {
  const url = new URL(server);
  const chain = await new Promise<DetailedPeerCertificate>((resolve, reject) => {
    const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 443), rejectUnauthorized: false, ...(isIP(url.hostname) ? {} : { servername: url.hostname }) });
    socket.setTimeout(timeoutMs, () => socket.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })));
    socket.once('secureConnect', () => {
      resolve(socket.getPeerCertificate(true));
      socket.end();
    });
    socket.once('error', (err: NodeJS.ErrnoException) => reject(serviceUnavailable(`cannot reach the server at ${server}: ${err.code ?? err.message}`)));
  });
  const seen: string[] = [];
  for (let c: DetailedPeerCertificate | undefined = chain; c?.raw; c = c.issuerCertificate === c ? undefined : c.issuerCertificate) {
    const pem = new X509Certificate(c.raw).toString();
    const hash = caHash(pem);
    if (hash === pinnedHash && new X509Certificate(pem).ca) return pem;
    seen.push(hash);
  }
  throw new StatusError({
    code: 403, reason: 'Forbidden',
    message: `the server at ${server} presented no CA matching the join token's hash ${pinnedHash.slice(0, 16)}... (it presented ${seen.map((h) => `${h.slice(0, 16)}...`).join(', ') || 'none'}): wrong server, or a token from another cluster`,
  });
}

async function csrPem(subject: string, keys: webcrypto.CryptoKeyPair): Promise<string> {
  const csr = await (await loadX509()).Pkcs10CertificateRequestGenerator.create({ name: subject, keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } });
  return csr.toString('pem');
}

/**
 * The agent's side of joining: pins the CA from the token (see `discoverCa`), then, over a
 * connection verified against that CA, presents the token and two certificate requests for
 * `nodeName`. Failures are StatusErrors whose messages say what to fix: 400 malformed token,
 * 401 token refused, 403 CA mismatch, 503 server unreachable.
 */
export async function joinCluster(server: string, tokenText: string, nodeName: string, addresses: readonly string[]): Promise<NodeCredentials> {
  const token = parseJoinToken(tokenText);
  const caCert = await discoverCa(server, token.caHash);
  const [client, serving] = await Promise.all([newKeyPair(), newKeyPair()]);
  const body: JoinRequest = {
    nodeName,
    addresses: [...addresses],
    clientCsr: await csrPem(`CN=${NODE_USER_PREFIX}${nodeName}, O=${NODES_GROUP}`, client),
    servingCsr: await csrPem(`CN=${NODE_USER_PREFIX}${nodeName}`, serving),
  };
  const transport = new HttpTransport({ server, ca: caCert, token: tokenText.trim(), maxRetries: 0 });
  try {
    const res = await transport.request({ method: 'POST', path: JOIN_PATH, body });
    const out = res.body as NodeCertificates;
    return { caCert, clientCert: out.clientCert, clientKey: await pemKey(client.privateKey), servingCert: out.servingCert, servingKey: await pemKey(serving.privateKey) };
  } catch (err) {
    if (err instanceof StatusError && err.code === 401) {
      throw new StatusError({ code: 401, reason: 'Unauthorized', message: `the server at ${server} refused the join token (wrong or replaced token; the current one is in the server's <pkiDir>/join.token)` });
    }
    throw err;
  } finally {
    transport.close();
  }
}
