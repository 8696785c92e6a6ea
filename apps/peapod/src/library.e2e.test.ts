// The README's "Peapod as a library" sample, kept honest by running it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { RESOURCES, type Pod } from '@peapod/api-types';
import { ApiServer, ApiServerModule, ApiServerOptions, nodeUser } from '@peapod/apiserver';
import { ClientModule, KubeClient, Transport } from '@peapod/client';
import { Clock, Container, RealClock, composeModules } from '@peapod/core';
import { KubeletModule, KubeletModuleOptions } from '@peapod/kubelet';
import { Runtime } from '@peapod/runtime';
import { FakeRuntime } from '@peapod/runtime/testing';
import { StoreConfig, StoreModule } from '@peapod/store';

it('composes an API server and a kubelet on the fake runtime, and runs a pod', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'peapod-lib-'));
  // Control plane: an in-memory store and the API server, on a free port.
  const control = Container.create()
    .provide(Clock, { useValue: new RealClock() })
    .provide(StoreConfig, { useValue: { url: 'memory://' } })
    .provide(ApiServerOptions, { useValue: { port: 0, pkiDir: join(dir, 'pki') } })
    .provide(Transport, { useFactory: (c) => c.resolve(ApiServer).transport() });
  const cluster = composeModules([StoreModule, ApiServerModule, ClientModule], control);
  await cluster.start();

  // A node: its own client (as system:node:node-1) and a kubelet on the scriptable fake runtime.
  const node = control.createChild()
    .provide(Transport, { useFactory: (c) => c.resolve(ApiServer).transport(nodeUser('node-1')) })
    .provide(Runtime, { useValue: new FakeRuntime() })
    .provide(KubeletModuleOptions, { useValue: { nodeName: 'node-1', rootDir: join(dir, 'node-1') } });
  const kubelet = composeModules([ClientModule, KubeletModule], node);
  await kubelet.start();

  const pods = control.resolve(KubeClient).resource(RESOURCES.pods);
  const script = JSON.stringify({ steps: [{ stdout: 'hello' }], exitCode: 0 });
  await pods.create({
    metadata: { name: 'hello', namespace: 'default' },
    spec: { nodeName: 'node-1', restartPolicy: 'Never', containers: [{ name: 'main', image: 'any', env: [{ name: 'PEAPOD_FAKE_SCRIPT', value: script }] }] },
  } as Pod);

  let pod: Pod;
  do {
    await new Promise((r) => setTimeout(r, 20));
    pod = await pods.get('hello', { namespace: 'default' });
  } while (pod.status?.phase !== 'Succeeded');
  expect(pod.status.containerStatuses?.[0].state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });

  await kubelet.stop();
  await cluster.stop();
}, 30_000);
