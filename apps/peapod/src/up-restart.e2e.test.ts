import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually, examples, kubectl, startUp, tempDir } from './testing/cli.js';

const podJson = async (kc: string, name: string) => JSON.parse(await kubectl(kc, ['get', 'pod', name, '-o', 'json']));
const phaseOf = async (kc: string, name: string) => (await podJson(kc, name)).status?.phase as string | undefined;

describe('peapod up restart', () => {
  it('keeps every object and adopts running pods after a restart on the same data dir', async () => {
    const dir = tempDir();
    let up = await startUp(dir, ['--node-name', 'restart-node']);
    try {
      await kubectl(up.kubeconfig, ['apply', '-f', join(examples, 'pod-init-containers.yaml')]);
      await kubectl(up.kubeconfig, ['create', 'configmap', 'settings', '--from-literal=a=b']);
      await eventually(async () => (await phaseOf(up.kubeconfig, 'init-demo')) === 'Running', 30_000, 'Running');
      const before = await podJson(up.kubeconfig, 'init-demo');
      expect(await up.stop()).toBe(0);
      up = await startUp(dir, ['--node-name', 'restart-node']);
      expect(await kubectl(up.kubeconfig, ['get', 'configmap', 'settings', '-o', 'jsonpath={.data.a}'])).toBe('b');
      const after = await eventually(async () => { const p = await podJson(up.kubeconfig, 'init-demo'); return p.status?.phase === 'Running' && p; }, 30_000, 'Running after restart');
      const started = (p: { status: { containerStatuses: { state: { running?: { startedAt: string } } }[] } }) => p.status.containerStatuses[0].state.running?.startedAt;
      expect(after.metadata.uid).toBe(before.metadata.uid);
      expect(started(after)).toBe(started(before));
      expect(after.status.containerStatuses[0].restartCount).toBe(0);
    } finally {
      await up.stop();
    }
  }, 180_000);
});
