import { describe, expect, it } from 'vitest';
import { humanDuration, podStatus, toTable } from './table.js';

const running = { running: { startedAt: '2025-01-01T00:00:00Z' } };

describe('podStatus (kubectl STATUS column)', () => {
  it.each([
    ['pending pod', { status: { phase: 'Pending' } }, 'Pending'],
    ['status reason wins', { status: { phase: 'Failed', reason: 'Evicted' } }, 'Evicted'],
    ['init progress', { spec: { initContainers: [{ name: 'a' }, { name: 'b' }], containers: [{ name: 'c' }] }, status: { phase: 'Pending', initContainerStatuses: [{ name: 'a', state: { terminated: { exitCode: 0 } } }, { name: 'b', state: running }] } }, 'Init:1/2'],
    ['init waiting reason', { spec: { initContainers: [{ name: 'a' }], containers: [{ name: 'c' }] }, status: { phase: 'Pending', initContainerStatuses: [{ name: 'a', state: { waiting: { reason: 'ErrImagePull' } } }] } }, 'Init:ErrImagePull'],
    ['init failed exit code', { spec: { initContainers: [{ name: 'a' }], containers: [{ name: 'c' }] }, status: { phase: 'Pending', initContainerStatuses: [{ name: 'a', state: { terminated: { exitCode: 2 } } }] } }, 'Init:ExitCode:2'],
    ['PodInitializing', { spec: { containers: [{ name: 'c' }] }, status: { phase: 'Pending', containerStatuses: [{ name: 'c', state: { waiting: { reason: 'PodInitializing' } } }] } }, 'PodInitializing'],
    ['CrashLoopBackOff', { spec: { containers: [{ name: 'c' }] }, status: { phase: 'Running', containerStatuses: [{ name: 'c', restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } }] } }, 'CrashLoopBackOff'],
    ['Completed', { spec: { containers: [{ name: 'c' }] }, status: { phase: 'Succeeded', containerStatuses: [{ name: 'c', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] } }, 'Completed'],
    ['Terminating', { metadata: { deletionTimestamp: '2025-01-01T00:00:00Z' }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Running' } }, 'Terminating'],
    ['a terminal pod being deleted keeps its phase', { metadata: { deletionTimestamp: '2025-01-01T00:00:00Z' }, status: { phase: 'Succeeded' } }, 'Succeeded'],
    ['SchedulingGated', { status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] } }, 'SchedulingGated'],
  ])('%s', (_name, pod, want) => {
    expect(podStatus({ metadata: {}, ...pod }).status).toBe(want);
  });

  it('counts ready containers (sidecars included) and restarts', () => {
    const pod = {
      metadata: {},
      spec: { initContainers: [{ name: 'side', restartPolicy: 'Always' }], containers: [{ name: 'a' }, { name: 'b' }] },
      status: {
        phase: 'Running',
        initContainerStatuses: [{ name: 'side', started: true, ready: true, restartCount: 1, state: running }],
        containerStatuses: [{ name: 'a', ready: true, restartCount: 2, state: running }, { name: 'b', ready: false, state: running }],
      },
    };
    expect(podStatus(pod)).toMatchObject({ status: 'Running', ready: '2/3', restarts: '3' });
  });
});

describe('humanDuration', () => {
  it.each([[5_000, '5s'], [119_000, '119s'], [150_000, '2m30s'], [600_000, '10m'], [3 * 3600_000 + 120_000, '3h2m'], [30 * 3600_000, '30h'], [3 * 86400_000 + 3600_000, '3d1h'], [400 * 86400_000, '400d'], [-5000, '<invalid>']])('%d ms is %s', (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });
});

describe('toTable', () => {
  it('prints deployments with kubectl columns and PartialObjectMetadata rows', () => {
    const now = Date.parse('2025-01-01T00:01:00Z');
    const d = { metadata: { name: 'web', creationTimestamp: '2025-01-01T00:00:00Z' }, spec: { replicas: 3, template: { spec: { containers: [{ name: 'c', image: 'nginx' }] } } }, status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } };
    const t = toTable('deployments', [d], { now, includeObject: 'Metadata', withColumns: true });
    expect(t.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).toEqual(['Name', 'Ready', 'Up-to-date', 'Available', 'Age']);
    expect(t.rows[0].cells.slice(0, 5)).toEqual(['web', '2/3', 3, 2, '60s']);
    expect(t.rows[0].object).toEqual({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: d.metadata });
  });
});
