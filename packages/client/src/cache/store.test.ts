import type { Pod } from '@peapod/api-types';
import { describe, expect, it } from 'vitest';
import { NAMESPACE_INDEX, Store, keyOf, splitKey } from './store.js';

const pod = (ns: string, name: string, node?: string) => ({ metadata: { namespace: ns, name }, spec: { containers: [], nodeName: node } }) as unknown as Pod;
const byNode = { byNode: (p: Pod) => (p.spec?.nodeName ? [p.spec.nodeName] : []) };

describe('Store', () => {
  it('keys objects as namespace/name, or name when cluster-scoped', () => {
    expect(keyOf(pod('a', 'web'))).toBe('a/web');
    expect(keyOf({ metadata: { name: 'node-1' } })).toBe('node-1');
    expect(splitKey('a/web')).toEqual({ namespace: 'a', name: 'web' });
    expect(splitKey('node-1')).toEqual({ name: 'node-1' });
  });

  it('keeps the namespace index and custom indexes in step with every write', () => {
    const s = new Store<Pod>(byNode);
    s.set('a/p1', pod('a', 'p1'));
    s.set('a/p2', pod('a', 'p2', 'n1'));
    s.set('b/p3', pod('b', 'p3', 'n1'));
    expect(s.byIndex(NAMESPACE_INDEX, 'a').map((p) => p.metadata.name).sort()).toEqual(['p1', 'p2']);
    expect(s.indexKeys('byNode', 'n1').sort()).toEqual(['a/p2', 'b/p3']);

    s.set('a/p1', pod('a', 'p1', 'n2')); // bound
    s.set('a/p2', pod('a', 'p2', 'n2')); // moved
    expect(s.indexKeys('byNode', 'n1')).toEqual(['b/p3']);
    expect(s.indexKeys('byNode', 'n2').sort()).toEqual(['a/p1', 'a/p2']);

    s.delete('b/p3');
    expect(s.indexKeys('byNode', 'n1')).toEqual([]);
    expect(s.indexValues('byNode')).toEqual(['n2']);
    expect(s.byIndex(NAMESPACE_INDEX, 'b')).toEqual([]);
    expect(s.size).toBe(2);
  });

  it('builds an index added later over what is already stored, and refuses a duplicate index', () => {
    const s = new Store<Pod>();
    s.set('a/p1', pod('a', 'p1', 'n1'));
    s.addIndexers(byNode);
    expect(s.indexKeys('byNode', 'n1')).toEqual(['a/p1']);
    expect(() => s.addIndexers(byNode)).toThrow(/already exists/);
    expect(() => s.byIndex('nope', 'x')).toThrow(/does not exist/);
  });

  it('stores objects without copying them', () => {
    const s = new Store<Pod>();
    const p = pod('a', 'p1');
    s.set('a/p1', p);
    expect(s.get('a/p1')).toBe(p);
  });
});
