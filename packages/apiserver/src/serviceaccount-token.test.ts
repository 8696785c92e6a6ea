import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { notFound } from '@peapod/api-types';
import { FakeClock } from '@peapod/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Obj } from './obj.js';
import { authenticateBearer, SERVICE_ACCOUNT_ISSUER, SERVICE_ACCOUNT_KEY_FILE, ServiceAccountTokens } from './serviceaccount-token.js';
import { TokenAuthenticator, ADMIN_USER } from './auth.js';

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
const headerOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString());

describe('ServiceAccount tokens (TokenRequest)', () => {
  let dir: string;
  let clock: FakeClock;
  let objects: Map<string, Obj>;
  let tokens: ServiceAccountTokens;
  const put = (resource: string, o: Obj) => objects.set(`${resource}/${o.metadata.namespace}/${o.metadata.name}`, o);
  const sa = (name = 'builder', uid = 'sa-uid') => put('serviceaccounts', { metadata: { name, namespace: 'ci', uid } });
  const request = async (body: unknown, name = 'builder') => tokens.request(objects.get(`serviceaccounts/ci/${name}`)!, body);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sa-token-'));
    clock = new FakeClock(Date.UTC(2026, 0, 1));
    objects = new Map();
    const get = async (resource: string, ns: string, name: string) => objects.get(`${resource}/${ns}/${name}`) ?? Promise.reject(notFound({ kind: resource, name }));
    tokens = await ServiceAccountTokens.load(dir, clock, get);
    sa();
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('issues an ES256 JWT with Kubernetes\' claims and the expiration asked for', async () => {
    const r = await request({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } });
    const token = r.status!.token!;
    expect(headerOf(token)).toEqual({ alg: 'ES256', kid: tokens.kid });
    const iat = Date.UTC(2026, 0, 1) / 1000;
    expect(claimsOf(token)).toEqual({
      aud: [SERVICE_ACCOUNT_ISSUER], exp: iat + 600, iat, nbf: iat, iss: SERVICE_ACCOUNT_ISSUER, jti: expect.any(String),
      sub: 'system:serviceaccount:ci:builder', 'kubernetes.io': { namespace: 'ci', serviceaccount: { name: 'builder', uid: 'sa-uid' } },
    });
    expect(r.status!.expirationTimestamp).toBe('2026-01-01T00:10:00Z');
    expect(r.spec).toEqual({ audiences: [SERVICE_ACCOUNT_ISSUER], expirationSeconds: 600, boundObjectRef: null });
    // No expiration asked for: one hour, as kube-apiserver.
    expect(claimsOf((await request({ spec: {} })).status!.token!).exp).toBe(iat + 3600);
  });

  it('keeps its key in the PKI directory (private, reused by the next start)', async () => {
    const path = join(dir, SERVICE_ACCOUNT_KEY_FILE);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const token = (await request({ spec: {} })).status!.token!;
    const again = await ServiceAccountTokens.load(dir, clock, async (r, ns, n) => objects.get(`${r}/${ns}/${n}`)!);
    expect(again.kid).toBe(tokens.kid);
    expect(await again.authenticate(token)).toMatchObject({ name: 'system:serviceaccount:ci:builder' });
  });

  it('refuses expirations under 10 minutes and bound objects of other kinds', async () => {
    await expect(request({ spec: { expirationSeconds: 599 } })).rejects.toMatchObject({
      status: { code: 422, message: 'TokenRequest.authentication.k8s.io "builder" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes' },
    });
    await expect(request({ spec: { boundObjectRef: { apiVersion: 'v1', kind: 'ConfigMap', name: 'x' } } })).rejects.toMatchObject({ status: { code: 400 } });
    await expect(request({ kind: 'Pod', spec: {} })).rejects.toMatchObject({ status: { code: 400 } });
    await expect(request({ spec: { expirationSeconds: 'soon' } })).rejects.toMatchObject({ status: { code: 400 } });
  });

  it('authenticates its tokens as the ServiceAccount with Kubernetes\' groups until they expire', async () => {
    const token = (await request({ spec: { expirationSeconds: 600 } })).status!.token!;
    expect(await tokens.authenticate(token)).toEqual({
      name: 'system:serviceaccount:ci:builder', groups: ['system:serviceaccounts', 'system:serviceaccounts:ci', 'system:authenticated'],
    });
    await clock.advance(599_000);
    expect(await tokens.authenticate(token)).toBeDefined();
    await clock.advance(1000);
    await expect(tokens.authenticate(token)).rejects.toMatchObject({ status: { code: 401 } });
  });

  it('rejects tampered claims, another key\'s signature, and tokens for another audience', async () => {
    const token = (await request({ spec: {} })).status!.token!;
    const [h, , s] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claimsOf(token), sub: 'system:serviceaccount:ci:admin' })).toString('base64url');
    await expect(tokens.authenticate(`${h}.${forged}.${s}`)).rejects.toMatchObject({ status: { code: 401 } });
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const input = token.split('.').slice(0, 2).join('.');
    const foreign = sign('sha256', Buffer.from(input), { key: other, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    await expect(tokens.authenticate(`${input}.${foreign}`)).rejects.toMatchObject({ status: { code: 401 } });
    const vault = (await request({ spec: { audiences: ['vault'] } })).status!.token!;
    expect(claimsOf(vault).aud).toEqual(['vault']);
    await expect(tokens.authenticate(vault)).rejects.toMatchObject({ status: { code: 401 } });
    // Not a JWT of this issuer: left to other authenticators.
    expect(await tokens.authenticate('static-token')).toBeUndefined();
  });

  it('stops accepting a token once its ServiceAccount is deleted or recreated', async () => {
    const token = (await request({ spec: {} })).status!.token!;
    sa('builder', 'another-uid');
    await expect(tokens.authenticate(token)).rejects.toMatchObject({ status: { code: 401 } });
    objects.delete('serviceaccounts/ci/builder');
    await expect(tokens.authenticate(token)).rejects.toMatchObject({ status: { code: 401 } });
  });

  it('binds a token to a pod of the ServiceAccount; it dies with the pod', async () => {
    put('pods', { metadata: { name: 'job-1', namespace: 'ci', uid: 'pod-uid' }, spec: { serviceAccountName: 'builder', nodeName: 'n1' } });
    put('pods', { metadata: { name: 'other', namespace: 'ci', uid: 'o-uid' }, spec: {} });
    const ref = { apiVersion: 'v1', kind: 'Pod', name: 'job-1', uid: 'pod-uid' };
    const token = (await request({ spec: { boundObjectRef: ref } })).status!.token!;
    expect(claimsOf(token)['kubernetes.io']).toEqual({
      namespace: 'ci', serviceaccount: { name: 'builder', uid: 'sa-uid' }, pod: { name: 'job-1', uid: 'pod-uid' }, node: { name: 'n1' },
    });
    expect(await tokens.authenticate(token)).toMatchObject({ name: 'system:serviceaccount:ci:builder' });
    await expect(request({ spec: { boundObjectRef: { ...ref, uid: 'stale' } } })).rejects.toMatchObject({ status: { code: 409 } });
    await expect(request({ spec: { boundObjectRef: { ...ref, name: 'other', uid: undefined } } })).rejects.toMatchObject({
      status: { code: 400, message: 'cannot bind token for serviceaccount "builder" to pod running with different serviceaccount name.' },
    });
    await expect(request({ spec: { boundObjectRef: { ...ref, name: 'gone' } } })).rejects.toMatchObject({ status: { code: 404 } });
    objects.delete('pods/ci/job-1');
    await expect(tokens.authenticate(token)).rejects.toMatchObject({ status: { code: 401 } });
  });

  it('puts ServiceAccount tokens behind the static token table', async () => {
    const table = new TokenAuthenticator([['admin-token', ADMIN_USER]]);
    const token = (await request({ spec: {} })).status!.token!;
    expect(await authenticateBearer('Bearer admin-token', table, tokens)).toBe(ADMIN_USER);
    expect(await authenticateBearer(`Bearer ${token}`, table, tokens)).toMatchObject({ name: 'system:serviceaccount:ci:builder' });
    await expect(authenticateBearer('Bearer nobody', table, tokens)).rejects.toMatchObject({ status: { code: 401 } });
    await expect(authenticateBearer(undefined, table, tokens)).rejects.toMatchObject({ status: { code: 401 } });
  });
});
