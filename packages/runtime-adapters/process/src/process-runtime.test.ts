import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RealClock } from '@peapod/core';
import { runRuntimeConformance } from '@peapod/runtime/conformance';
import { ProcessRuntime } from './process-runtime.js';

async function harness() {
  const dirs: string[] = [];
  const tempDir = async () => {
    const d = await mkdtemp(join(tmpdir(), 'peapod-process-'));
    dirs.push(d);
    return d;
  };
  const stateDir = await tempDir();
  const make = () => new ProcessRuntime({ stateDir, clock: new RealClock(), adoptedPollMs: 20 });
  return {
    runtime: make(),
    reopen: async () => make(),
    tempDir,
    cleanup: async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); },
  };
}

runRuntimeConformance('process', { setup: harness, logsOnDisk: true });
