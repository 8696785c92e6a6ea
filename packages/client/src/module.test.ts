import { RESOURCES } from '@peapod/api-types';
import { Clock, FakeClock, composeModules, type Module } from '@peapod/core';
import { describe, expect, it } from 'vitest';
import { ClientModule } from './module.js';
import { FakeApiServer } from './testing/fake-api-server.js';
import { KubeClient, SharedInformerFactory, Transport } from './tokens.js';

describe('ClientModule', () => {
  it('builds the client over the provided transport and runs the shared informers with the app', async () => {
    const api = new FakeApiServer();
    const clock = new FakeClock();
    const env: Module = { name: 'env', register: (c) => { c.provide(Transport, { useValue: api }); c.provide(Clock, { useValue: clock }); } };
    const app = composeModules([env, ClientModule]);
    const client = app.container.resolve(KubeClient);
    await client.resource(RESOURCES.pods).create({ metadata: { name: 'web', namespace: 'default' }, spec: { containers: [] } } as never);

    const factory = app.container.resolve(SharedInformerFactory);
    const pods = factory.informerFor(RESOURCES.pods);
    expect(app.container.resolve(SharedInformerFactory)).toBe(factory);
    await app.start();
    await pods.waitForSync();
    expect(pods.lister.get('default', 'web')).toBeDefined();
    await app.stop();
    expect(api.watchCount).toBe(0);
  });
});
