import { RESOURCES } from '@peapod/api-types';
import { ClientModule, Transport as TransportToken, createClient, leaderElectionDefaults, type Transport } from '@peapod/client';
import { Registry, composeModules, Container, Clock } from '@peapod/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { settle, startCluster, until, type TestCluster } from '../test/cluster.js';
import { CONTROLLER_MANAGER_LEASE } from './context.js';
import type { Controller } from './controller.js';
import { BUILTIN_CONTROLLERS, defaultControllerRegistry } from './controllers.js';
import { ControllerManager } from './manager.js';
import { ControllersModule } from './module.js';
import { enabledControllers, type ControllerDescriptor } from './registry.js';
import { ControllerManager as ManagerToken, ControllersOptions } from './tokens.js';

let c: TestCluster;
beforeEach(async () => { c = await startCluster(); });
afterEach(async () => { await c.close(); });

/** A controller that only records that it runs. */
const probe = (log: string[], id: string): ControllerDescriptor => ({
  create: (): Controller => ({
    name: 'probe',
    async run(_w, signal) {
      log.push(`${id}:start`);
      await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
      log.push(`${id}:stop`);
    },
  }),
});

/** A transport that can be cut off, as a partitioned control-plane process would be. */
function cuttable(t: Transport): Transport & { cut: boolean } {
  const fail = () => { throw new Error('connection refused'); };
  const w = {
    cut: false,
    request: (req: Parameters<Transport['request']>[0]) => (w.cut ? fail() : t.request(req)),
    watch: (req: Parameters<Transport['watch']>[0]) => t.watch(req),
    stream: (req: Parameters<Transport['stream']>[0]) => t.stream(req),
  };
  return w;
}

function manager(id: string, log: string[], transport: Transport) {
  const registry = new Registry<ControllerDescriptor>('controller');
  registry.add('probe', probe(log, id));
  return new ControllerManager(registry, { ...c.ctx, client: createClient(transport) }, {
    identity: id, leaderElection: leaderElectionDefaults(CONTROLLER_MANAGER_LEASE), workers: 1,
  });
}

describe('controller manager and leader election', () => {
  it('two managers never both lead; a crashed leader is replaced after the lease expires', async () => {
    const log: string[] = [];
    const ta = cuttable(c.server);
    const a = manager('a', log, ta);
    const b = manager('b', log, c.server);
    a.start();
    await until(() => a.isLeader(), 'a leads');
    b.start();
    const lease = await c.client.resource(RESOURCES.leases).get('kube-controller-manager', { namespace: 'kube-system' });
    expect(lease.spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 });
    const step = async (ms: number) => {
      for (let t = 0; t < ms; t += 1_000) {
        await c.clock.advance(1_000);
        await settle(10);
        expect(a.isLeader() && b.isLeader()).toBe(false);
      }
    };
    await step(30_000);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);

    // a is cut off: it steps down within the renew deadline; b takes over only once the lease has expired.
    ta.cut = true;
    let aDown = -1;
    let bUp = -1;
    for (let t = 1; t <= 30 && bUp < 0; t++) {
      await c.clock.advance(1_000);
      await settle(20);
      expect(a.isLeader() && b.isLeader()).toBe(false);
      if (aDown < 0 && !a.isLeader()) aDown = t;
      if (bUp < 0 && b.isLeader()) bUp = t;
    }
    // a stops 10 s after its last renewal (at most 2 s before the cut); b waits 15 s from when it saw that renewal.
    expect(aDown).toBeGreaterThanOrEqual(8);
    expect(aDown).toBeLessThanOrEqual(11);
    expect(bUp).toBeGreaterThanOrEqual(13);
    expect(bUp).toBeLessThanOrEqual(20);
    await until(() => log.includes('a:stop') && log.includes('b:start'), 'controllers moved');
    expect(log).toEqual(['a:start', 'a:stop', 'b:start']);
    const after = await c.client.resource(RESOURCES.leases).get('kube-controller-manager', { namespace: 'kube-system' });
    expect(after.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });

    // A leader that stops releases the lease, so the other takes over without waiting it out.
    ta.cut = false;
    await step(4_000);
    await b.stop();
    expect(log.at(-1)).toBe('b:stop');
    await step(3_000);
    expect(a.isLeader()).toBe(true);
    await a.stop();
  });

  it('enables controllers from a --controllers spec', () => {
    const registry = defaultControllerRegistry();
    const all = Object.keys(BUILTIN_CONTROLLERS);
    expect(enabledControllers(registry, '*')).toEqual(all);
    expect(enabledControllers(registry, '*,-job')).toEqual(all.filter((n) => n !== 'job'));
    expect(enabledControllers(registry, 'deployment,replicaset')).toEqual(['replicaset', 'deployment']);
    expect(() => enabledControllers(registry, '*,-jobs')).toThrow(/unknown controller "jobs".*known: .*job/);
  });

  it('the module runs the enabled controllers once it leads', async () => {
    const container = Container.create();
    container.provide(TransportToken, { useValue: c.server });
    container.provide(Clock, { useValue: c.clock });
    container.provide(ControllersOptions, { useValue: { controllers: 'replicaset', identity: 'solo' } });
    const app = composeModules([ClientModule, ControllersModule], container);
    await app.start();
    const m = container.resolve(ManagerToken);
    await until(() => m.isLeader() && m.running().length === 1, 'leading');
    expect(m.running()).toEqual(['replicaset']);
    await c.client.resource(RESOURCES.replicasets).create({
      metadata: { name: 'mod', namespace: 'default' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'mod' } }, template: { metadata: { labels: { app: 'mod' } }, spec: { containers: [{ name: 'app', image: 'busybox' }] } } },
    });
    await until(async () => (await c.client.resource(RESOURCES.pods).list({ namespace: 'default', labelSelector: 'app=mod' })).items.length === 2, 'pods');
    await app.stop();
    const lease = await c.client.resource(RESOURCES.leases).get('kube-controller-manager', { namespace: 'kube-system' });
    expect(lease.spec?.holderIdentity).toBeFalsy();
  });
});
