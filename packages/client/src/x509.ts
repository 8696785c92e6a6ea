import type { TLSSocket } from 'node:tls';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** A user named by a client certificate. */
export interface CertificateUser {
  name: string;
  groups: string[];
}

/**
 * kube-apiserver's x509 authenticator rule, for any TLS server of the cluster: a client
 * certificate that chains to the server's CA (the TLS layer verified it) and allows client
 * authentication names the user by its CN and the groups by its O values (plus
 * `system:authenticated`). Undefined when the connection carries no such certificate.
 */
export function certificateUser(socket: TLSSocket | undefined): CertificateUser | undefined {
  if (!socket?.authorized || typeof socket.getPeerCertificate !== 'function') return undefined;
  const cert = socket.getPeerCertificate();
  const name = cert?.subject?.CN;
  if (!name || !cert.ext_key_usage?.includes(CLIENT_AUTH)) return undefined;
  const o = cert.subject.O as string | string[] | undefined;
  return { name: String(name), groups: [...(Array.isArray(o) ? o : o ? [o] : []), 'system:authenticated'] };
}
