import { X509Certificate, createHash, createPrivateKey, webcrypto } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type * as X509 from '@peculiar/x509';

/** PEM-encoded TLS material for the API server. */
export interface ServerPki {
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** The identity the API server presents to kubelets (`kube-apiserver-kubelet-client`). */
  kubeletClientCert: string;
  kubeletClientKey: string;
}

/** The CA that signs every certificate of the cluster. */
export interface ClusterCa {
  certPem: string;
  key: webcrypto.CryptoKey;
}

/** Common name of the API server's client certificate towards kubelets (kubeadm's name). */
export const KUBELET_CLIENT_USER = 'kube-apiserver-kubelet-client';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 3600 * 1000;
const YEAR_MS = 365 * DAY_MS;
/** A certificate closer than this to its end is reissued at start. */
const RENEW_BEFORE_MS = 30 * DAY_MS;
const crypto = webcrypto;
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

let x509Module: Promise<typeof X509> | undefined;
/**
 * @peculiar/x509 (~3.5 MB of heap and a fifth of a second to load) is needed only to issue
 * certificates or read requests: on the first start and when an agent joins, never by a server
 * restarting with certificates that still fit.
 */
export const loadX509 = () => (x509Module ??= import('@peculiar/x509').then((x509) => {
  x509.cryptoProvider.set(crypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  return x509;
}));

export const pemKey = async (key: CryptoKey) => {
  const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', key)).toString('base64');
  return `-----BEGIN PRIVATE KEY-----\n${der.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
};
const importKey = (pem: string) =>
  crypto.subtle.importKey('pkcs8', Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'), ALG, true, ['sign']);
const serial = () => Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1');
const exists = (p: string) => readFile(p, 'utf8').then((s) => s, () => undefined);
export const newKeyPair = async () => (await crypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;

/** Writes by rename, so a process sharing the directory never reads half a file. */
async function writeAtomic(path: string, data: string, mode = 0o644): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data, { mode });
  await rename(tmp, path);
}

/** SHA-256 of the CA certificate's SubjectPublicKeyInfo, hex: what a join token pins (kubeadm's CA cert hash). */
export function caHash(caPem: string): string {
  const spki = new X509Certificate(caPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('hex');
}

/** Loads the cluster CA from `dir`, creating it (ECDSA P-256, ten years) on first start. */
export async function loadOrCreateCa(dir: string): Promise<ClusterCa> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const certPath = join(dir, 'ca.crt');
  const keyPath = join(dir, 'ca.key');
  let certPem = await exists(certPath);
  let keyPem = await exists(keyPath);
  if (!certPem || !keyPem) {
    const x509 = await loadX509();
    const keys = await newKeyPair();
    const now = Date.now();
    const ca = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: 'CN=peapod-ca',
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 10 * YEAR_MS),
      signingAlgorithm: ALG,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    certPem = `${ca.toString('pem').trim()}\n`;
    keyPem = await pemKey(keys.privateKey);
    await writeAtomic(keyPath, keyPem, 0o600);
    await writeAtomic(certPath, certPem);
  }
  return { certPem, key: await importKey(keyPem) };
}

export interface CertificateRequest {
  /** Distinguished name, e.g. `CN=system:node:a, O=system:nodes`. */
  subject: string;
  publicKey: CryptoKey;
  /** `server` certificates carry `hosts` as SANs; `client` certificates identify a user by CN (name) and O (groups). */
  usage: 'server' | 'client';
  hosts?: readonly string[];
  validityMs?: number;
}

/** Issues a leaf certificate signed by the cluster CA (one year unless told). */
export async function issueCertificate(ca: ClusterCa, req: CertificateRequest): Promise<string> {
  const now = Date.now();
  const names = req.hosts ?? [];
  const x509 = await loadX509();
  const caCert = new x509.X509Certificate(ca.certPem);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: req.subject,
    issuer: caCert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + (req.validityMs ?? YEAR_MS)),
    signingAlgorithm: ALG,
    publicKey: req.publicKey,
    signingKey: ca.key,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([req.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      ...(names.length ? [new x509.SubjectAlternativeNameExtension(names.map((n) => ({ type: isIP(n) ? 'ip' as const : 'dns' as const, value: n })))] : []),
      await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
    ],
  });
  return `${cert.toString('pem').trim()}\n`;
}

/** Whether `certPem` was issued by `caPem`, matches `keyPem`, is valid for a while yet and covers every host. */
export function certificateFits(certPem: string, keyPem: string, caPem: string, hosts: readonly string[] = []): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(caPem);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey) || !cert.checkPrivateKey(createPrivateKey(keyPem))) return false;
    if (Date.parse(cert.validTo) - Date.now() < RENEW_BEFORE_MS) return false;
    return hosts.every((h) => (isIP(h) ? cert.checkIP(h) : cert.checkHost(h)) !== undefined);
  } catch {
    return false;
  }
}

/** The DNS names and IPs a certificate is valid for. */
async function sansOf(certPem: string): Promise<string[]> {
  const x509 = await loadX509();
  const ext = new x509.X509Certificate(certPem).getExtension(x509.SubjectAlternativeNameExtension);
  return ext ? ext.names.toJSON().map((n) => n.value) : [];
}

/**
 * Keeps a certificate/key pair under `dir/<name>.crt|key`: reuses it while it fits (see
 * `certificateFits`), otherwise issues a new one. A serving certificate is reissued for the union
 * of the hosts it had and the ones requested, so servers sharing a pki dir keep each other's names.
 */
async function ensureCertificate(dir: string, name: string, ca: ClusterCa, req: Omit<CertificateRequest, 'publicKey'>): Promise<{ cert: string; key: string }> {
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  const [cert, key] = await Promise.all([exists(certPath), exists(keyPath)]);
  if (cert && key && certificateFits(cert, key, ca.certPem, req.hosts)) return { cert, key };
  const previous = cert && req.usage === 'server' ? await sansOf(cert).catch(() => []) : [];
  const keys = await newKeyPair();
  const issued = {
    cert: await issueCertificate(ca, { ...req, hosts: [...new Set([...previous, ...(req.hosts ?? [])])], publicKey: keys.publicKey }),
    key: await pemKey(keys.privateKey),
  };
  await writeAtomic(keyPath, issued.key, 0o600);
  await writeAtomic(certPath, issued.cert);
  return issued;
}

/**
 * Loads the cluster CA from `dir` or creates it on first start, then makes sure of the API
 * server's serving certificate (127.0.0.1, ::1, localhost and `hosts`; reissued when a host is
 * not covered or it nears its end) and of its client certificate towards kubelets. Files: ca.crt,
 * ca.key, apiserver.crt/.key, apiserver-kubelet-client.crt/.key (keys mode 0600). The CA never
 * changes; several servers may share the directory.
 */
export async function ensurePki(dir: string, hosts: readonly string[] = []): Promise<ServerPki> {
  const ca = await loadOrCreateCa(dir);
  const serving = await ensureCertificate(dir, 'apiserver', ca, { subject: 'CN=peapod-apiserver', usage: 'server', hosts: [...new Set(['127.0.0.1', '::1', 'localhost', ...hosts])] });
  const kubeletClient = await ensureCertificate(dir, 'apiserver-kubelet-client', ca, { subject: `CN=${KUBELET_CLIENT_USER}, O=system:masters`, usage: 'client' });
  return { caCert: ca.certPem, serverCert: serving.cert, serverKey: serving.key, kubeletClientCert: kubeletClient.cert, kubeletClientKey: kubeletClient.key };
}
