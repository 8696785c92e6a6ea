import { describe, expect, it } from 'vitest';
import { Container, type Module } from '@peapod/core';
import { nodeGroupModule } from './node-agent.js';

/** A node module that records its start and stop, taking `ms` to start (and failing if `fail`). */
function node(name: string, log: string[], ms = 5, fail = false): Module {
  return {
    name,
    dependsOn: ['runtime', 'apiserver'],
    register: () => undefined,
    async start() {
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, ms));
      if (fail) throw new Error(`${name} failed`);
      log.push(`up ${name}`);
    },
    async stop() {
      log.push(`stop ${name}`);
    },
  };
}

describe('nodeGroupModule', () => {
  it('starts its nodes at most `concurrency` at a time and depends on what they depend on', async () => {
    const log: string[] = [];
    const group = nodeGroupModule('fake-nodes', Array.from({ length: 5 }, (_, i) => node(`n${i}`, log)), 2);
    expect(group.dependsOn).toEqual(['runtime', 'apiserver']);
    await group.start!(Container.create());
    let inFlight = 0;
    let most = 0;
    for (const line of log) {
      inFlight += line.startsWith('start') ? 1 : -1;
      most = Math.max(most, inFlight);
    }
    expect(most).toBe(2);
    expect(log.filter((l) => l.startsWith('up')).length).toBe(5);
    await group.stop!(Container.create());
    expect(log.filter((l) => l.startsWith('stop')).sort()).toEqual(['stop n0', 'stop n1', 'stop n2', 'stop n3', 'stop n4']);
  });

  it('when a node fails to start, starts no further node, stops those started and throws its error', async () => {
    const log: string[] = [];
    const group = nodeGroupModule('fake-nodes', [node('a', log, 1), node('b', log, 20, true), node('c', log, 1), node('d', log, 50), node('e', log, 1)], 2);
    await expect(group.start!(Container.create())).rejects.toThrow('b failed');
    // a and c start while b does; b's failure leaves d (in flight) to finish; e never starts.
    expect(log).not.toContain('start e');
    expect(log.filter((l) => l.startsWith('stop')).sort()).toEqual(['stop a', 'stop c', 'stop d']);
    log.length = 0;
    await group.stop!(Container.create());
    expect(log).toEqual([]);
  });
});
