import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { badRequest, conflict, invalid, isNotFound, TokenRequestSchema, unauthorized, type BoundObjectReference, type TokenRequest } from '@peapod/api-types';
import type { Clock } from '@peapod/core';
import type { UserInfo } from './auth.js';
import type { Obj } from './obj.js';

/**
 * ServiceAccount tokens (TokenRequest, `kubectl create token`): ES256 JWTs signed with a key kept
 * in the PKI directory, with the claims kube-apiserver puts in them, and the authenticator that
 * accepts them back. A token stays valid only while its ServiceAccount (same uid) and the object
 * it is bound to exist, as with Kubernetes' bound service account tokens.
 */

/** kube-apiserver's `--service-account-issuer` as kubeadm sets it; also the default API audience. */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** The signing key's file in the PKI directory (PKCS#8 PEM, P-256), created on first start. */
export const SERVICE_ACCOUNT_KEY_FILE = 'sa.key';
/** The expiration kube-apiserver gives a TokenRequest that names none (one hour). */
export const DEFAULT_EXPIRATION_SECONDS = 3600;
const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;

export const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';
export const serviceAccountUser = (namespace: string, name: string): UserInfo => ({
  name: `${SERVICE_ACCOUNT_PREFIX}${namespace}:${name}`,
  groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
});

/** Reads an object; rejects with NotFound when it does not exist. */
export type ObjectGetter = (resource: 'serviceaccounts' | 'pods' | 'secrets', namespace: string, name: string) => Promise<Obj>;

/** The private claim Kubernetes adds: who the token is for and what it is bound to. */
interface KubernetesClaim {
  namespace: string;
  serviceaccount: { name: string; uid: string };
  pod?: { name: string; uid: string };
  secret?: { name: string; uid: string };
  node?: { name: string; uid?: string };
}

interface Claims {
  aud: string[];
  exp: number;
  iat: number;
  iss: string;
  jti: string;
  'kubernetes.io': KubernetesClaim;
  nbf: number;
  sub: string;
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const BOUND_KINDS = { Pod: 'pods', Secret: 'secrets' } as const;

export interface ServiceAccountTokenOptions {
  issuer?: string;
  /** Audiences the API server accepts (kube-apiserver's `--api-audiences`); default: the issuer. */
  audiences?: readonly string[];
}

export class ServiceAccountTokens {
  readonly issuer: string;
  readonly audiences: readonly string[];
  /** The JWT `kid`: base64url SHA-256 of the public key's DER, as kube-apiserver computes it. */
  readonly kid: string;
  private readonly publicKey: KeyObject;

  constructor(private readonly key: KeyObject, private readonly clock: Clock, private readonly getter: ObjectGetter, options: ServiceAccountTokenOptions = {}) {
    this.publicKey = createPublicKey(key);
    this.kid = createHash('sha256').update(this.publicKey.export({ type: 'spki', format: 'der' })).digest('base64url');
    this.issuer = options.issuer ?? SERVICE_ACCOUNT_ISSUER;
    this.audiences = options.audiences ?? [this.issuer];
  }

  private get(resource: Parameters<ObjectGetter>[0], namespace: string, name: string): Promise<Obj | undefined> {
    return this.getter(resource, namespace, name).catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
  }

  /** Loads the signing key from `<pkiDir>/sa.key`, creating it on first start. */
  static async load(pkiDir: string, clock: Clock, get: ObjectGetter, options?: ServiceAccountTokenOptions): Promise<ServiceAccountTokens> {
    const path = join(pkiDir, SERVICE_ACCOUNT_KEY_FILE);
    let pem = await readFile(path, 'utf8').catch(() => undefined);
    if (!pem) {
      pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      await writeFile(path, pem, { mode: 0o600, flag: 'wx' }).catch(async () => { pem = await readFile(path, 'utf8'); });
    }
    return new ServiceAccountTokens(createPrivateKey(pem!), clock, get, options);
  }

  /**
   * serviceaccounts/token: checks the TokenRequest (expiration at least 10 minutes, a bound Pod or
   * Secret that exists with the given uid and, for a pod, runs as this ServiceAccount) and answers
   * it with `status.token` and `status.expirationTimestamp`.
   */
  async request(sa: Obj, body: unknown): Promise<TokenRequest> {
    const parsed = TokenRequestSchema.safeParse(body ?? {});
    if (!parsed.success) throw badRequest(`TokenRequest in version "v1" cannot be handled as a TokenRequest: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const req = parsed.data;
    if (req.kind !== undefined && req.kind !== 'TokenRequest') throw badRequest(`${req.kind} in version "v1" cannot be handled as a TokenRequest`);
    const target = { kind: 'TokenRequest', group: 'authentication.k8s.io', name: sa.metadata.name };
    const seconds = req.spec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
    if (seconds < MIN_EXPIRATION_SECONDS) throw invalid(target, [{ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${seconds}: may not specify a duration less than 10 minutes` }]);
    if (seconds > MAX_EXPIRATION_SECONDS) throw invalid(target, [{ type: 'FieldValueTooLong', field: 'spec.expirationSeconds', message: `Invalid value: ${seconds}: may not specify a duration larger than 2^32 seconds` }]);
    const namespace: string = sa.metadata.namespace;
    const claim: KubernetesClaim = { namespace, serviceaccount: { name: sa.metadata.name, uid: sa.metadata.uid } };
    const ref = req.spec.boundObjectRef ?? undefined;
    if (ref) Object.assign(claim, await this.bind(sa, ref));
    const audiences = req.spec.audiences?.length ? req.spec.audiences : [...this.audiences];
    const iat = Math.floor(this.clock.now() / 1000);
    const claims: Claims = {
      aud: audiences, exp: iat + seconds, iat, iss: this.issuer, jti: randomUUID(), 'kubernetes.io': claim, nbf: iat, sub: `${SERVICE_ACCOUNT_PREFIX}${namespace}:${sa.metadata.name}`,
    };
    const signingInput = `${b64({ alg: 'ES256', kid: this.kid })}.${b64(claims)}`;
    const signature = sign('sha256', Buffer.from(signingInput), { key: this.key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    return {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: { name: sa.metadata.name, namespace, creationTimestamp: new Date(iat * 1000).toISOString().replace(/\.\d+Z$/, 'Z') },
      spec: { audiences, expirationSeconds: seconds, boundObjectRef: ref ?? null },
      status: { token: `${signingInput}.${signature}`, expirationTimestamp: new Date(claims.exp * 1000).toISOString().replace(/\.\d+Z$/, 'Z') },
    };
  }

  private async bind(sa: Obj, ref: BoundObjectReference): Promise<Partial<KubernetesClaim>> {
    const resource = ref.apiVersion === 'v1' ? BOUND_KINDS[ref.kind as keyof typeof BOUND_KINDS] : undefined;
    if (!resource) throw badRequest(`cannot bind token to object of type ${ref.apiVersion ?? ''}, Kind=${ref.kind ?? ''}`);
    if (!ref.name) throw invalid({ kind: 'TokenRequest', group: 'authentication.k8s.io', name: sa.metadata.name }, [{ type: 'FieldValueRequired', field: 'spec.boundObjectRef.name', message: 'Required value' }]);
    const obj = await this.getter(resource, sa.metadata.namespace, ref.name);
    if (ref.uid && ref.uid !== obj.metadata.uid) {
      throw conflict({ kind: ref.kind }, `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
    const who = { name: obj.metadata.name as string, uid: obj.metadata.uid as string };
    if (resource === 'secrets') return { secret: who };
    if ((obj.spec?.serviceAccountName ?? 'default') !== sa.metadata.name) throw badRequest(`cannot bind token for serviceaccount "${sa.metadata.name}" to pod running with different serviceaccount name.`);
    return { pod: who, ...(obj.spec?.nodeName ? { node: { name: obj.spec.nodeName } } : {}) };
  }

  /**
   * The identity of a bearer token this issuer signed; undefined for tokens that are not (other
   * authenticators may know them). A token of this issuer that is expired, not yet valid, wrongly
   * signed, for another audience, or whose ServiceAccount or bound object is gone is a 401.
   */
  async authenticate(token: string): Promise<UserInfo | undefined> {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    let header: { alg?: string; kid?: string };
    let claims: Partial<Claims>;
    try {
      header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    if (claims?.iss !== this.issuer) return undefined;
    const signed = header.alg === 'ES256' && header.kid === this.kid
      && verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key: this.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(parts[2], 'base64url'));
    if (!signed) throw unauthorized();
    const now = this.clock.now() / 1000;
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (typeof claims.exp !== 'number' || claims.exp <= now || (typeof claims.nbf === 'number' && claims.nbf > now)) throw unauthorized();
    if (!aud.some((a) => this.audiences.includes(a as string))) throw unauthorized();
    const k = claims['kubernetes.io'];
    if (!k?.namespace || !k.serviceaccount?.name) throw unauthorized();
    // Objects past their deletionTimestamp count as gone (a pod in its grace period still holds its tokens).
    const alive = (obj: Obj | undefined, uid: string) => obj?.metadata.uid === uid && !(obj.metadata.deletionTimestamp && Date.parse(obj.metadata.deletionTimestamp) <= now * 1000);
    if (!alive(await this.get('serviceaccounts', k.namespace, k.serviceaccount.name), k.serviceaccount.uid)) throw unauthorized();
    for (const [resource, ref] of [['pods', k.pod], ['secrets', k.secret]] as const) {
      if (ref && !alive(await this.get(resource, k.namespace, ref.name), ref.uid)) throw unauthorized();
    }
    return serviceAccountUser(k.namespace, k.serviceaccount.name);
  }
}

/** The token of an `Authorization: Bearer ...` header. */
export const bearerToken = (authorization: string | undefined) => /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];

/**
 * Bearer authentication with ServiceAccount tokens behind the static table: the table answers
 * first; a token it does not know is tried as a ServiceAccount JWT; 401 when neither knows it.
 */
export async function authenticateBearer(authorization: string | undefined, table: { authenticate(h: string | undefined): UserInfo }, tokens: ServiceAccountTokens): Promise<UserInfo> {
  try {
    return table.authenticate(authorization);
  } catch (err) {
    const token = bearerToken(authorization);
    const user = token ? await tokens.authenticate(token) : undefined;
    if (user) return user;
    throw err;
  }
}
