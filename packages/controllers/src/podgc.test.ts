import { RESOURCES, type Node, type Pod } from '@peapod/api-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { podTemplate, setPodPhase, startCluster, until, type TestCluster } from '../test/cluster.js';
import { POD_GC_PERIOD_MS, PodGCController } from './podgc.js';

let c: TestCluster;
beforeEach(async () => {
  c = await startCluster({ terminatedPodGCThreshold: 2 });
  c.run(new PodGCController(c.ctx));
});
afterEach(async () => { await c.close(); });

const pods = () => c.client.resource(RESOURCES.pods);
const mk = (name: string, nodeName?: string) => pods().create({ metadata: { name, namespace: 'default', labels: { app: 'gc' } }, spec: { ...podTemplate({}).spec, nodeName } } as Pod);
const names = async () => (await pods().list({ namespace: 'default' })).items.map((p) => p.metadata.name).sort();

describe('pod garbage collector', () => {
  it('deletes the oldest terminated pods beyond the threshold and pods on nodes that are gone', async () => {
    await c.client.resource(RESOURCES.nodes).create({ metadata: { name: 'alive' } } as Node);
    for (const [i, n] of ['t1', 't2', 't3'].entries()) {
      const p = await mk(n, 'alive');
      await setPodPhase(c.client, p, i === 1 ? 'Failed' : 'Succeeded');
      await c.clock.advance(1_000);
    }
    await mk('running', 'alive');
    await mk('lost', 'gone-node');
    await c.clock.advance(POD_GC_PERIOD_MS);
    await until(async () => (await names()).length === 3, 'collected');
    // t1 was the oldest terminated pod (threshold 2); `lost` was bound to a node that does not exist.
    expect(await names()).toEqual(['running', 't2', 't3']);
  });
});
