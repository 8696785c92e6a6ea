import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forbidden } from '@peapod/api-types';
import { ApiServer } from '@peapod/apiserver';
import { Container, Logger, silentLogger } from '@peapod/core';
import { describe, expect, it } from 'vitest';
import { workerNodesModule } from './module.js';

describe('workerNodesModule', () => {
  it('fails start with one line naming the worker\'s error, and leaves no worker behind', async () => {
    // An API server that refuses everything: the first node's registration fails inside the worker.
    const served: string[] = [];
    const core = { serve: async (req: { path: string; user: { name: string } }) => { served.push(`${req.user.name} ${req.path}`); throw forbidden({ kind: 'nodes', name: 'n0' }, 'not today'); } };
    const parent = Container.create()
      .provide(Logger, { useValue: silentLogger })
      .provide(ApiServer, { useValue: { core } as never });
    const m = workerNodesModule('fake-nodes', [{ nodeName: 'n0', rootDir: join(tmpdir(), 'peapod-worker-nodes-n0') }]);
    const err = await Promise.resolve(m.start!(parent)).then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toMatch(/^simulated nodes failed to start: .*not today/);
    expect(err?.message).not.toContain('\n');
    expect(served[0]).toBe('system:node:n0 /api/v1/nodes/n0');
    await m.stop!(parent); // nothing left to stop
  }, 60_000);
});
