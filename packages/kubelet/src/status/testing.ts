import type { Container, ContainerStatus } from '@peapod/api-types';

/** Container status builders for table tests. */
const base = (name: string): ContainerStatus => ({ name, ready: false, restartCount: 0, image: 'img', imageID: '' });

export const cs = {
  running: (name: string, started = true): ContainerStatus => ({ ...base(name), started, state: { running: { startedAt: '2025-01-01T00:00:00Z' } } }),
  waiting: (name: string, reason = 'ContainerCreating'): ContainerStatus => ({ ...base(name), state: { waiting: { reason } } }),
  succeeded: (name: string): ContainerStatus => ({ ...base(name), state: { terminated: { exitCode: 0, reason: 'Completed' } } }),
  failed: (name: string, exitCode = 1): ContainerStatus => ({ ...base(name), state: { terminated: { exitCode, reason: 'Error' } } }),
  /** Waiting to restart after an exit (CrashLoopBackOff). */
  restarting: (name: string, exitCode = 1): ContainerStatus => ({
    ...base(name), restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode } },
  }),
  ready: (s: ContainerStatus): ContainerStatus => ({ ...s, ready: true }),
};

export const ctr = (name: string, extra: Partial<Container> = {}): Container => ({ name, image: 'img', ...extra });
export const sidecar = (name: string, extra: Partial<Container> = {}): Container => ctr(name, { restartPolicy: 'Always', ...extra });
