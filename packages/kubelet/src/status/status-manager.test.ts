import type { Pod, PodStatus } from '@peapod/api-types';
import { FakeClock, silentLogger } from '@peapod/core';
import { describe, expect, it } from 'vitest';
import { StatusManager } from './status-manager.js';

const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u1' }, spec: { containers: [{ name: 'a', image: 'img' }] } };
const status = (phase: 'Pending' | 'Running', ready = 'False'): PodStatus => ({ phase, conditions: [{ type: 'Ready', status: ready }] });

/** A status writer whose writes finish only when the test lets them. */
function slowWriter() {
  const writes: PodStatus[] = [];
  let release = (): void => undefined;
  return {
    writes,
    finish: () => release(),
    writePodStatus: async (_pod: Pod, s: PodStatus) => {
      writes.push(s);
      await new Promise<void>((r) => (release = r));
    },
  };
}

const manager = (writer: { writePodStatus(pod: Pod, s: PodStatus): Promise<void> }) =>
  new StatusManager(writer, { deletePod: async () => undefined }, new FakeClock(0), silentLogger);

describe('StatusManager', () => {
  it('writes the statuses one sync computes in one go as one write, and nothing for an unchanged status', async () => {
    const writes: PodStatus[] = [];
    const m = manager({ writePodStatus: async (_p, s) => void writes.push(s) });
    m.setPodStatus('u1', pod, status('Pending'));
    m.setPodStatus('u1', pod, status('Running', 'True'));
    await m.flush();
    m.setPodStatus('u1', pod, status('Running', 'True'));
    await m.flush();
    expect(writes).toEqual([status('Running', 'True')]);
  });

  it('does not write again what a write in flight already sends, but does write a change made meanwhile', async () => {
    const w = slowWriter();
    const m = manager(w);
    m.setPodStatus('u1', pod, status('Pending'));
    await new Promise((r) => setImmediate(r));
    expect(w.writes).toEqual([status('Pending')]);
    // Changed and changed back while the first write is in flight: nothing new to send.
    m.setPodStatus('u1', pod, status('Running'));
    m.setPodStatus('u1', pod, status('Pending'));
    w.finish();
    await new Promise((r) => setImmediate(r));
    expect(w.writes).toEqual([status('Pending')]);

    m.setPodStatus('u1', pod, status('Running'));
    await new Promise((r) => setImmediate(r));
    m.setPodStatus('u1', pod, status('Running', 'True'));
    w.finish();
    await new Promise((r) => setImmediate(r));
    w.finish();
    await m.flush();
    expect(w.writes).toEqual([status('Pending'), status('Running'), status('Running', 'True')]);
  });
});
