import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Clock, composeModules, Container, RealClock } from '@peapod/core';
import { createMemoryStore, StoreConfig, StoreModule } from '@peapod/store';
import { describe, expect, it } from 'vitest';
import { ApiServerModule } from './module.js';
import { startApiServer } from './server.js';
import { FakeNodeStreamer } from './testing/harness.js';
import { ApiServer, ApiServerOptions, NodeStreamer } from './tokens.js';

describe('ApiServerModule', () => {
  it('starts after the store, exposes URL, CA and admin token, writes the kubeconfig and stops', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peapod-module-'));
    const c = Container.create();
    c.provide(Clock, { useValue: new RealClock() });
    c.provide(StoreConfig, { useValue: { url: 'memory://' } });
    c.provide(ApiServerOptions, { useValue: { port: 0, pkiDir: join(dir, 'pki'), kubeconfigPath: join(dir, 'kubeconfig') } });
    let streamerBuilt = false;
    c.provide(NodeStreamer, { useFactory: () => { streamerBuilt = true; return new FakeNodeStreamer(); } });
    const app = composeModules([ApiServerModule, StoreModule], c);
    expect(app.modules.map((m) => m.name)).toEqual(['store', 'apiserver']);
    await app.start();
    try {
      const server = c.resolve(ApiServer);
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(server.caCert).toContain('BEGIN CERTIFICATE');
      const kubeconfig = JSON.parse(await readFile(join(dir, 'kubeconfig'), 'utf8'));
      expect(kubeconfig.users[0].user.token).toBe(server.adminToken);
      expect(kubeconfig.clusters[0].cluster.server).toBe(server.url);
      const ns = await server.transport().request({ method: 'GET', path: '/api/v1/namespaces/kube-system' });
      expect(ns.status).toBe(200);
      // The node streamer is built on first use, not at start.
      expect(streamerBuilt).toBe(false);
      await server.transport().request({ method: 'POST', path: '/api/v1/namespaces/default/pods', body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] } } });
      let logs = '';
      for await (const chunk of server.transport().stream({ method: 'GET', path: '/api/v1/namespaces/default/pods/p/log' })) logs += Buffer.from(chunk).toString();
      expect(logs).toBe('c line 1\nc line 2\nc line 3\n');
      expect(streamerBuilt).toBe(true);
      // A second server on the same PKI directory (a restart) keeps the CA and the admin token.
      const again = await startApiServer({ port: 0, pkiDir: join(dir, 'pki') }, { store: createMemoryStore(), clock: new RealClock() });
      expect(again.adminToken).toBe(server.adminToken);
      expect(again.caCert).toBe(server.caCert);
      await again.close();
    } finally {
      await app.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
