import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { CriRuntime } from './cri-runtime.js';
import { RecordingCriServer } from './testing/recording-cri-server.js';
import { linuxTranslator } from './translate.js';

// RemovePodSandbox against a CRI server that answers as containerd does when a shim exits mid-removal.
let dir: string;
let server: RecordingCriServer;
let rt: CriRuntime;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peapod-cri-retry-'));
  server = await RecordingCriServer.start(join(dir, 'cri.sock'));
  rt = new CriRuntime({ endpoint: server.endpoint, translator: linuxTranslator, podNetwork: 'node', runtimeName: 'containerd' });
});
afterEach(async () => {
  await rt.close();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

const SHIM_GONE = 'failed to forcibly stop sandbox "s": failed to kill container "c": ttrpc: closed: unknown';

it('asks again when containerd reports the shim closed while force-stopping the sandbox', async () => {
  server.failNext('RemovePodSandbox', SHIM_GONE, 2);
  await rt.removePodSandbox('s');
  expect(server.requestsOf('RemovePodSandbox')).toHaveLength(3);
});

it('gives up after three attempts, and does not retry other failures', async () => {
  server.failNext('RemovePodSandbox', SHIM_GONE, 3);
  await expect(rt.removePodSandbox('s')).rejects.toThrow(/ttrpc: closed/);
  expect(server.requestsOf('RemovePodSandbox')).toHaveLength(3);
  server.failNext('RemovePodSandbox', 'disk on fire');
  await expect(rt.removePodSandbox('s')).rejects.toThrow(/disk on fire/);
  expect(server.requestsOf('RemovePodSandbox')).toHaveLength(4);
});
