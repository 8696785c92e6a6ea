import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { peapod, tempDir } from './testing/cli.js';

describe('peapod server errors', () => {
  it('an unreachable store is one line naming the URL tried, exit code 1', async () => {
    const r = await peapod(['server', '--data-dir', join(tempDir(), 's'), '--listen', '127.0.0.1:0', '--store', 'etcd://127.0.0.1:1'], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^peapod: store etcd:\/\/127\.0\.0\.1:1 is unreachable/)]);
  }, 60_000);

  it('a port in use and bad flags are one line each', async () => {
    const busy = createServer();
    await new Promise<void>((res) => busy.listen(0, '127.0.0.1', res));
    const port = (busy.address() as AddressInfo).port;
    try {
      const dir = tempDir();
      const r = await peapod(['server', '--data-dir', join(dir, 's'), '--listen', `127.0.0.1:${port}`, '--store', 'memory://']);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`peapod: 127.0.0.1:${port} is already in use (another peapod server?); stop it or pass --listen HOST:PORT`);
    } finally {
      busy.close();
    }
    const bad = await peapod(['server', '--leader-elect-lease-duration', 'soon']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('peapod: --leader-elect-lease-duration must be a positive number of seconds (got "soon")');
  }, 60_000);
});
