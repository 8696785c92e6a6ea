import { RESOURCES, type PodDisruptionBudget } from '@peapod/api-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeKubelet, podTemplate, startCluster, until, type TestCluster } from '../test/cluster.js';
import { DeploymentController } from './deployment.js';
import { DisruptionController } from './disruption.js';
import { ReplicaSetController } from './replicaset.js';

let c: TestCluster;
let stop: () => Promise<void>;
beforeEach(async () => {
  c = await startCluster();
  for (const ctl of [new ReplicaSetController(c.ctx), new DeploymentController(c.ctx), new DisruptionController(c.ctx)]) c.run(ctl);
  stop = fakeKubelet(c.client);
});
afterEach(async () => { await stop(); await c.close(); });

const pdbStatus = async (name: string) => (await c.client.resource(RESOURCES.poddisruptionbudgets).get(name, { namespace: 'default' })).status;

describe('disruption controller', () => {
  it('computes PodDisruptionBudget status from the pods and the scale of their Deployment', async () => {
    await c.client.resource(RESOURCES.deployments).create({
      metadata: { name: 'web', namespace: 'default' },
      spec: { replicas: 4, selector: { matchLabels: { app: 'web' } }, template: podTemplate({ app: 'web' }) },
    });
    await c.client.resource(RESOURCES.poddisruptionbudgets).create({
      metadata: { name: 'by-pct', namespace: 'default' }, spec: { maxUnavailable: '25%', selector: { matchLabels: { app: 'web' } } },
    } as PodDisruptionBudget);
    const s = await until(async () => { const x = await pdbStatus('by-pct'); return x?.currentHealthy === 4 && x; }, 'healthy 4');
    expect(s).toMatchObject({ expectedPods: 4, desiredHealthy: 3, disruptionsAllowed: 1, observedGeneration: 1 });
    expect(s.conditions?.find((x) => x.type === 'DisruptionAllowed')).toMatchObject({ status: 'True', reason: 'SufficientPods' });

    await c.client.resource(RESOURCES.poddisruptionbudgets).create({
      metadata: { name: 'by-min', namespace: 'default' }, spec: { minAvailable: 4, selector: { matchLabels: { app: 'other' } } },
    } as PodDisruptionBudget);
    const m = await until(async () => { const x = await pdbStatus('by-min'); return x?.observedGeneration === 1 && x; }, 'min status');
    expect(m).toMatchObject({ expectedPods: 0, currentHealthy: 0, desiredHealthy: 4, disruptionsAllowed: 0 });
    expect(m.conditions?.find((x) => x.type === 'DisruptionAllowed')).toMatchObject({ status: 'False', reason: 'InsufficientPods' });
  });
});
