import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

/** PEM-encoded TLS material for the API server. */
export interface ServerPki {
  caCert: string;
  serverCert: string;
  serverKey: string;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const YEAR_MS = 365 * 24 * 3600 * 1000;
const crypto = webcrypto;
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const pemKey = async (key: CryptoKey) => {
  const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', key)).toString('base64');
  return `-----BEGIN PRIVATE KEY-----\n${der.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
};
const importKey = (pem: string) =>
  crypto.subtle.importKey('pkcs8', Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'), ALG, true, ['sign']);
const serial = () => Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1');
const exists = (p: string) => readFile(p, 'utf8').then((s) => s, () => undefined);

/**
 * Loads the cluster CA from `dir` or creates it on first start (ECDSA P-256, ten years), then
 * issues a fresh serving certificate (one year) for 127.0.0.1, ::1, localhost and `hosts`.
 * Files: ca.crt, ca.key, apiserver.crt, apiserver.key (keys mode 0600). The serving certificate is
 * reissued on every start so that a changed host list takes effect; the CA never changes.
 */
export async function ensurePki(dir: string, hosts: readonly string[] = []): Promise<ServerPki> {
  x509.cryptoProvider.set(crypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caCertPath = join(dir, 'ca.crt');
  const caKeyPath = join(dir, 'ca.key');
  let caPem = await exists(caCertPath);
  let caKeyPem = await exists(caKeyPath);
  if (!caPem || !caKeyPem) {
    const keys = (await crypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
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
    caPem = ca.toString('pem');
    caKeyPem = await pemKey(keys.privateKey);
    await writeFile(caKeyPath, caKeyPem, { mode: 0o600 });
    await writeFile(caCertPath, caPem);
  }
  const ca = new x509.X509Certificate(caPem);
  const caKey = await importKey(caKeyPem);
  const keys = (await crypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const names = [...new Set(['127.0.0.1', '::1', 'localhost', ...hosts])];
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=peapod-apiserver',
    issuer: ca.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + YEAR_MS),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((n) => ({ type: isIP(n) ? 'ip' as const : 'dns' as const, value: n }))),
      await x509.AuthorityKeyIdentifierExtension.create(ca, false),
    ],
  });
  const pki = { caCert: caPem, serverCert: cert.toString('pem'), serverKey: await pemKey(keys.privateKey) };
  await writeFile(join(dir, 'apiserver.key'), pki.serverKey, { mode: 0o600 });
  await writeFile(join(dir, 'apiserver.crt'), pki.serverCert);
  return pki;
}
