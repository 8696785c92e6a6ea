import { createPrivateKey, sign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_ACCOUNT_KEY_FILE } from './serviceaccount-token.js';
import { startTestServer, type TestServer } from './testing/harness.js';

const UNAUTHORIZED = 'error: You must be logged in to the server (Unauthorized)';

describe('kubectl create token (serviceaccounts/token) and ServiceAccount bearer tokens', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer();
    expect((await t.kubectl(['create', 'serviceaccount', 'default'])).code).toBe(0);
    expect((await t.kubectl(['create', 'serviceaccount', 'robot'])).code).toBe(0);
  });
  afterAll(async () => { await t?.close(); });

  const token = async (args: string[]) => {
    const r = await t.kubectl(['create', 'token', ...args]);
    expect(r.stderr).toBe('');
    return r.stdout.trim();
  };

  it('issues a token that kubectl can use; a tampered one is Unauthorized', async () => {
    const tok = await token(['default', '--duration', '10m']);
    const claims = JSON.parse(Buffer.from(tok.split('.')[1], 'base64url').toString());
    expect(claims.sub).toBe('system:serviceaccount:default:default');
    expect(claims.exp - claims.iat).toBe(600);
    const ok = await t.kubectl(['--token', tok, 'get', 'serviceaccounts', '-o', 'name']);
    expect(ok).toMatchObject({ code: 0, stdout: 'serviceaccount/default\nserviceaccount/robot\n' });
    const tampered = `${tok.slice(0, -4)}${tok.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    expect((await t.kubectl(['--token', tampered, 'get', 'pods'])).stderr.trim()).toBe(UNAUTHORIZED);
  });

  it('refuses an expired token signed with the cluster\'s own key', async () => {
    const tok = await token(['default']);
    const [header, payload] = tok.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const past = Buffer.from(JSON.stringify({ ...claims, iat: claims.iat - 7200, nbf: claims.nbf - 7200, exp: claims.iat - 3600 })).toString('base64url');
    const key = createPrivateKey(await readFile(join(t.dir, 'pki', SERVICE_ACCOUNT_KEY_FILE), 'utf8'));
    const expired = `${header}.${past}.${sign('sha256', Buffer.from(`${header}.${past}`), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
    expect((await t.kubectl(['--token', expired, 'get', 'pods'])).stderr.trim()).toBe(UNAUTHORIZED);
  });

  it('refuses tokens for another audience, of a deleted ServiceAccount, or bound to a deleted pod', async () => {
    const vault = await token(['default', '--audience', 'vault']);
    expect((await t.kubectl(['--token', vault, 'get', 'pods'])).stderr.trim()).toBe(UNAUTHORIZED);

    const robot = await token(['robot']);
    expect((await t.kubectl(['--token', robot, 'get', 'pods'])).code).toBe(0);
    await t.kubectl(['delete', 'serviceaccount', 'robot']);
    expect((await t.kubectl(['--token', robot, 'get', 'pods'])).stderr.trim()).toBe(UNAUTHORIZED);

    await t.call('POST', '/api/v1/namespaces/default/pods', { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'holder' }, spec: { containers: [{ name: 'c', image: 'x' }] } } });
    const bound = await token(['default', '--bound-object-kind', 'Pod', '--bound-object-name', 'holder']);
    expect(JSON.parse(Buffer.from(bound.split('.')[1], 'base64url').toString())['kubernetes.io'].pod.name).toBe('holder');
    expect((await t.kubectl(['--token', bound, 'get', 'pods'])).code).toBe(0);
    await t.kubectl(['delete', 'pod', 'holder', '--wait=false']);
    expect((await t.kubectl(['--token', bound, 'get', 'pods'])).stderr.trim()).toBe(UNAUTHORIZED);
  });

  it('answers bad requests as Kubernetes does', async () => {
    expect((await t.kubectl(['create', 'token', 'default', '--duration', '1m'])).stderr.trim())
      .toBe('error: failed to create token: TokenRequest.authentication.k8s.io "default" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes');
    expect((await t.kubectl(['create', 'token', 'nobody'])).stderr.trim()).toBe('error: failed to create token: serviceaccounts "nobody" not found');
  });
});
