import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { StoredObject, WatchEvent } from './types.js';
import { WatchQueue } from './watch-queue.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const event = (name: string): WatchEvent<StoredObject> => ({ type: 'ADDED', object: { metadata: { name } } });
const nameOf = (ev: WatchEvent<StoredObject> | undefined) => (ev?.object as StoredObject | undefined)?.metadata?.name;

/** Whether everything `refs` point to has been collected (WeakRefs clear only after the current job). */
async function collected(refs: WeakRef<object>[]): Promise<boolean> {
  await new Promise((r) => setTimeout(r, 0));
  gc();
  return refs.every((r) => r.deref() === undefined);
}

describe('WatchQueue', () => {
  it('delivers buffered events in order and ends after them', async () => {
    const q = new WatchQueue<StoredObject>(10);
    for (const n of ['a', 'b', 'c']) q.push(event(n));
    q.end();
    const names: string[] = [];
    for await (const ev of q) names.push(nameOf(ev)!);
    expect(names).toEqual(['a', 'b', 'c']);
  });

  it('keeps no delivered event reachable while the watch goes on', async () => {
    const q = new WatchQueue<StoredObject>(10);
    const it = q[Symbol.asyncIterator]();
    const refs: WeakRef<object>[] = [];
    const tracked = (name: string) => {
      const ev = event(name);
      refs.push(new WeakRef(ev), new WeakRef(ev.object));
      return ev;
    };
    q.setInitial([tracked('initial-1'), tracked('initial-2')]);
    await it.next();
    await it.next();
    // Drained: every delivered event goes.
    for (const n of ['a', 'b']) q.push(tracked(n));
    await it.next();
    await it.next();
    // Lagging: the consumer stays behind, the delivered ones go all the same (but the last one,
    // which the suspended iterator still holds until its next step).
    q.push(tracked('c'));
    const [last, pending] = [event('last'), event('pending')];
    q.push(last);
    q.push(pending);
    expect(nameOf((await it.next()).value)).toBe('c');
    expect((await it.next()).value).toBe(last);
    expect(await collected(refs)).toBe(true);
    expect((await it.next()).value).toBe(pending);
    q.stop();
  });

  it('ends a watch whose consumer lets more than its capacity pile up', async () => {
    const q = new WatchQueue<StoredObject>(2);
    expect(q.push(event('a'))).toBe(true);
    expect(q.push(event('b'))).toBe(true);
    expect(q.push(event('c'))).toBe(false);
    const names: string[] = [];
    for await (const ev of q) names.push(nameOf(ev)!);
    expect(names).toEqual(['a', 'b']);
  });
});
