import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Clock, FakeClock, composeModules, type Module } from '@peapod/core';
import { Runtime } from '@peapod/runtime';
import { FakeRuntime } from '@peapod/runtime/testing';
import { KubeletModule } from './module.js';
import { KubeletApi, KubeletInstance, KubeletModuleOptions, NodeStreaming } from './tokens.js';
import { FakeKubeletApi } from './testing/fake-api.js';

describe('KubeletModule', () => {
  it('composes a kubelet from options, runtime, clock and API, starts it and exposes its streaming endpoint', async () => {
    const clock = new FakeClock(Date.UTC(2025, 0, 1));
    const api = new FakeKubeletApi();
    const rootDir = mkdtempSync(join(tmpdir(), 'kubelet-module-'));
    const env: Module = {
      name: 'client',
      register(c) {
        c.provide(Clock, { useValue: clock });
        c.provide(Runtime, { useValue: new FakeRuntime({ clock }) });
        c.provide(KubeletApi, { useValue: api });
        c.provide(KubeletModuleOptions, { useValue: { nodeName: 'n1', rootDir, os: 'linux' } });
      },
    };
    const app = composeModules([KubeletModule, env]);
    try {
      await app.start();
      expect(api.nodes.get('n1')?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(app.container.resolve(NodeStreaming)).toBe(app.container.resolve(KubeletInstance).streaming);
    } finally {
      await app.stop();
      rmSync(rootDir, { recursive: true, force: true });
    }
  });
});
