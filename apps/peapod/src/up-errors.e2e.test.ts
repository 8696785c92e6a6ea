import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { peapod, tempDir } from './testing/cli.js';

describe('peapod up errors', () => {
  it('reports a port in use in one line and leaves nothing locked', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as { port: number }).port;
    const dir = tempDir();
    try {
      const r = await peapod(['up', '--data-dir', dir, '--listen', `127.0.0.1:${port}`]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`peapod: 127.0.0.1:${port} is already in use (another peapod up?); stop it or pass --listen HOST:PORT`);
      const again = await peapod(['kubeconfig', '--data-dir', join(dir, 'nowhere')]);
      expect(again.stderr.trim()).toMatch(/^peapod: no kubeconfig at .*; start the cluster with 'peapod up' first$/);
    } finally {
      blocker.close();
    }
  }, 60_000);

  it('rejects bad flags with an actionable line', async () => {
    const r = await peapod(['up', '--listen', 'nonsense']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('peapod: --listen must be HOST:PORT (got "nonsense")');
    const u = await peapod(['up', '--frobnicate']);
    expect(u.stderr.trim()).toMatch(/^peapod: Unknown option '--frobnicate'.*; see --help$/);
  }, 60_000);
});

