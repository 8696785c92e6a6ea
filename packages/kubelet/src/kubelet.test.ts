import { afterEach, describe, expect, it } from 'vitest';
import { startKubelet, type Harness } from './testing/harness.js';
import { ctr } from './status/testing.js';

let h: Harness;
afterEach(async () => h?.stop());

describe('Kubelet: a simple pod', () => {
  it('runs a pod to Running and reports its container', async () => {
    h = await startKubelet();
    await h.create('web', { containers: [ctr('app')] });
    expect(h.status('web')?.phase).toBe('Running');
    expect(h.container('web', 'app')).toMatchObject({ ready: true, started: true, restartCount: 0, state: { running: {} } });
  });
});
