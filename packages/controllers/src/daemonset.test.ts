import { RESOURCES, type DaemonSet, type Node, type Pod } from '@peapod/api-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { podTemplate, setPodPhase, settle, startCluster, until, type TestCluster } from '../test/cluster.js';
import { DaemonSetController, daemonPodNode } from './daemonset.js';

let c: TestCluster;
beforeEach(async () => {
  c = await startCluster();
  c.run(new DaemonSetController(c.ctx));
});
afterEach(async () => { await c.close(); });

const node = (name: string, labels: Record<string, string> = {}, taints: NonNullable<Node['spec']>['taints'] = undefined) =>
  c.client.resource(RESOURCES.nodes).create({ metadata: { name, labels }, spec: { taints } } as Node);
const ds = (name: string, spec: Partial<NonNullable<DaemonSet['spec']>> = {}): DaemonSet => ({
  apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name, namespace: 'default' },
  spec: { selector: { matchLabels: { app: name } }, template: podTemplate({ app: name }), ...spec },
});
const podsOf = async (app: string): Promise<Pod[]> => (await c.client.resource(RESOURCES.pods).list({ namespace: 'default', labelSelector: `app=${app}` })).items.filter((p) => !p.metadata.deletionTimestamp);
const nodesOf = async (app: string) => (await podsOf(app)).map(daemonPodNode).sort();

describe('DaemonSet controller', () => {
  it('runs one pod per eligible node, pinned by node affinity, with the daemon tolerations', async () => {
    await node('a', { disk: 'ssd' });
    await node('b', { disk: 'ssd' }, [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }]);
    await node('c', { disk: 'hdd' });
    await node('d', { disk: 'ssd' }, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]);
    await c.client.resource(RESOURCES.daemonsets).create(ds('agent', { template: { ...podTemplate({ app: 'agent' }), spec: { ...podTemplate({}).spec, nodeSelector: { disk: 'ssd' } } } }));
    await until(async () => (await podsOf('agent')).length === 2, '2 pods');
    await settle();
    expect(await nodesOf('agent')).toEqual(['a', 'b']);
    const [p] = await podsOf('agent');
    expect(p.spec?.nodeName).toBeUndefined();
    expect(p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toEqual({
      nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [daemonPodNode(p)] }] }],
    });
    expect(p.spec?.tolerations).toEqual(expect.arrayContaining([
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
    ]));
    // A new node gets a pod; a node that stops matching loses it.
    await node('e', { disk: 'ssd' });
    await until(async () => (await nodesOf('agent')).includes('e'), 'pod on e');
    await c.client.resource(RESOURCES.nodes).patch('a', 'merge', { metadata: { labels: { disk: 'hdd' } } });
    await until(async () => !(await nodesOf('agent')).includes('a'), 'pod removed from a');
    const s = await until(async () => { const x = await c.client.resource(RESOURCES.daemonsets).get('agent', { namespace: 'default' }); return x.status?.desiredNumberScheduled === 2 && x.status.currentNumberScheduled === 2 && !x.status.numberMisscheduled && x; }, 'status');
    expect(s.status).toMatchObject({ numberMisscheduled: 0, numberReady: 0, updatedNumberScheduled: 2 });
  });

  it('rolling update replaces at most maxUnavailable pods at a time', async () => {
    for (const n of ['n1', 'n2', 'n3']) await node(n);
    await c.client.resource(RESOURCES.daemonsets).create(ds('roll', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } } }));
    await until(async () => (await podsOf('roll')).length === 3, '3 pods');
    for (const p of await podsOf('roll')) await setPodPhase(c.client, p, 'Running');
    await c.client.resource(RESOURCES.daemonsets).patch('roll', 'strategic', { spec: { template: { spec: { containers: [{ name: 'app', image: 'busybox:2' }] } } } }, { namespace: 'default' });
    let maxDown = 0;
    await until(async () => {
      const pods = await podsOf('roll');
      for (const p of pods) if (p.spec?.containers[0].image === 'busybox:2' && p.status?.phase !== 'Running') await setPodPhase(c.client, p, 'Running').catch(() => undefined);
      const readyNodes = new Set(pods.filter((p) => p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')).map(daemonPodNode));
      maxDown = Math.max(maxDown, 3 - readyNodes.size);
      return pods.length === 3 && pods.every((p) => p.spec?.containers[0].image === 'busybox:2' && p.status?.phase === 'Running');
    }, 'rolled', 8_000);
    expect(maxDown).toBeLessThanOrEqual(1);
  });
});
