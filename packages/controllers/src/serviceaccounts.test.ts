import { RESOURCES, isNotFound } from '@peapod/api-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { settle, startCluster, until, type TestCluster } from '../test/cluster.js';
import { ServiceAccountsController } from './serviceaccounts.js';

let c: TestCluster;
beforeEach(async () => { c = await startCluster(); });
afterEach(async () => { await c.close(); });

describe('serviceaccount controller', () => {
  const sas = () => c.client.resource(RESOURCES.serviceaccounts);
  const hasDefault = (namespace: string) => sas().get('default', { namespace }).then(() => true, (e) => { if (isNotFound(e)) return false; throw e; });

  it('gives every namespace a default ServiceAccount, and brings it back when deleted', async () => {
    c.run(new ServiceAccountsController(c.ctx));
    await until(() => hasDefault('default'), 'default/default');
    await c.client.resource(RESOURCES.namespaces).create({ metadata: { name: 'team-a' } });
    await until(() => hasDefault('team-a'), 'team-a/default');
    await sas().delete('default', { namespace: 'team-a' });
    await until(() => hasDefault('team-a'), 'team-a/default recreated');
    // Other ServiceAccounts are the user's business.
    await sas().create({ metadata: { name: 'robot', namespace: 'team-a' } });
    await sas().delete('robot', { namespace: 'team-a' });
    await settle();
    expect((await sas().list({ namespace: 'team-a' })).items.map((s) => s.metadata.name)).toEqual(['default']);
  });

  it('leaves a terminating namespace alone', async () => {
    const namespaces = c.client.resource(RESOURCES.namespaces);
    await namespaces.create({ metadata: { name: 'going', finalizers: ['example.com/hold'] } });
    await namespaces.delete('going');
    expect((await namespaces.get('going')).metadata.deletionTimestamp).toBeDefined();
    c.run(new ServiceAccountsController(c.ctx));
    await until(() => hasDefault('default'), 'default/default');
    await settle();
    expect(await hasDefault('going')).toBe(false);
  });
});
