import { isAlreadyExists, isBadRequest, isConflict, isGone, isNotFound, isRequestEntityTooLarge, isTimeout, type StatusError } from '@peapod/api-types';
import { afterEach, describe, expect, it } from 'vitest';
import { INITIAL_EVENTS_END_ANNOTATION, type StoreOptions } from './kv-store.js';
import { MAX_OBJECT_BYTES, type Store, type StoredObject, type Watch, type WatchEvent } from './types.js';

/**
 * The storage contract as executable tests, modelled on Kubernetes' storage test suite
 * (`apiserver/pkg/storage/testing`). Every backend, and the watch cache in front of one, runs it:
 *
 *   runStoreConformance('sqlite', (opts) => createSqliteStore(tmpFile(), opts));
 *
 * `makeStore` is called once per test and must return an empty store (for a shared server such as
 * etcd: a fresh key prefix). Tests assume nothing about absolute revision numbers, only their order.
 * The store must honour `bookmarkIntervalMs` so the bookmark test stays fast.
 */
export function runStoreConformance(name: string, makeStore: (opts: StoreOptions) => Store | Promise<Store>): void {
  describe(`Store conformance: ${name}`, () => {
    const open: Store[] = [];
    const newStore = async (opts: StoreOptions = {}) => {
      const s = await makeStore({ bookmarkIntervalMs: 100, ...opts });
      open.push(s);
      return s;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });

    describe('create and get', () => {
      it('stores an object with a resourceVersion and returns it on get', async () => {
        const s = await newStore();
        const created = await s.create('/pods/default/p1', pod('p1'));
        expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(0);
        expect(await s.currentRevision()).toBe(created.metadata.resourceVersion);
        const got = await s.get<Pod>('/pods/default/p1');
        expect(got).toEqual(created);
        expect(got!.spec.nodeName).toBe('node-1');
      });

      it('refuses a second create of the same key with AlreadyExists', async () => {
        const s = await newStore();
        await s.create('/pods/default/p1', pod('p1'));
        const err = await failure(s.create('/pods/default/p1', pod('p1', { nodeName: 'other' })));
        expect(isAlreadyExists(err)).toBe(true);
        expect(err.message).toContain('"p1" already exists');
        expect((await s.get<Pod>('/pods/default/p1'))!.spec.nodeName).toBe('node-1');
      });

      it('refuses to create an object that already carries a resourceVersion', async () => {
        const s = await newStore();
        const err = await failure(s.create('/pods/default/p1', { ...pod('p1'), metadata: { name: 'p1', resourceVersion: '5' } }));
        expect(isBadRequest(err)).toBe(true);
      });

      it('fails get of a missing key with NotFound, or returns undefined when asked to', async () => {
        const s = await newStore();
        const err = await failure(s.get('/pods/default/nope'));
        expect(isNotFound(err)).toBe(true);
        expect(err.message).toBe('pods "nope" not found');
        expect(await s.get('/pods/default/nope', { ignoreNotFound: true })).toBeUndefined();
      });

      it('never shares the objects it hands out with its own state', async () => {
        const s = await newStore();
        const input = pod('p1');
        const created = await s.create('/pods/default/p1', input);
        input.spec.nodeName = 'mutated-input';
        created.spec.nodeName = 'mutated-result';
        const got = await s.get<Pod>('/pods/default/p1');
        got!.spec.nodeName = 'mutated-get';
        expect((await s.get<Pod>('/pods/default/p1'))!.spec.nodeName).toBe('node-1');
      });

      it('accepts objects up to the size limit and refuses larger ones with 413', async () => {
        const s = await newStore();
        const big = pod('big');
        big.spec.payload = 'x'.repeat(MAX_OBJECT_BYTES - 1024);
        const created = await s.create('/pods/default/big', big);
        expect(((await s.get<Pod>('/pods/default/big'))!.spec.payload as string).length).toBe(MAX_OBJECT_BYTES - 1024);
        const tooBig = pod('huge');
        tooBig.spec.payload = 'x'.repeat(MAX_OBJECT_BYTES);
        const err = await failure(s.create('/pods/default/huge', tooBig));
        expect(isRequestEntityTooLarge(err)).toBe(true);
        expect(err.message).toMatch(/too large/);
        const grow = await failure(s.guaranteedUpdate<Pod>('/pods/default/big', { tryUpdate: (p) => ({ ...p!, spec: { ...p!.spec, more: 'y'.repeat(2048) } }) }));
        expect(isRequestEntityTooLarge(grow)).toBe(true);
        expect((await s.get('/pods/default/big'))!.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
        expect(await s.get('/pods/default/huge', { ignoreNotFound: true })).toBeUndefined();
      });
    });

    describe('delete', () => {
      it('deletes unconditionally and returns the last state at the deletion revision', async () => {
        const s = await newStore();
        const created = await s.create('/pods/default/p1', pod('p1'));
        const deleted = await s.delete<Pod>('/pods/default/p1');
        expect(deleted.spec.nodeName).toBe('node-1');
        expect(Number(deleted.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
        expect(await s.currentRevision()).toBe(deleted.metadata.resourceVersion);
        expect(isNotFound(await failure(s.get('/pods/default/p1')))).toBe(true);
        expect(isNotFound(await failure(s.delete('/pods/default/p1')))).toBe(true);
      });

      it('deletes when the uid and resourceVersion preconditions hold', async () => {
        const s = await newStore();
        const created = await s.create('/pods/default/p1', pod('p1'));
        await s.delete('/pods/default/p1', { preconditions: { uid: 'uid-p1', resourceVersion: created.metadata.resourceVersion! } });
        expect(await s.get('/pods/default/p1', { ignoreNotFound: true })).toBeUndefined();
      });

      it('refuses a delete with a stale uid or resourceVersion precondition with Conflict', async () => {
        const s = await newStore();
        const created = await s.create('/pods/default/p1', pod('p1'));
        await s.guaranteedUpdate<Pod>('/pods/default/p1', { tryUpdate: (p) => ({ ...p!, spec: { ...p!.spec, nodeName: 'n2' } }) });
        const byUid = await failure(s.delete('/pods/default/p1', { preconditions: { uid: 'another-uid' } }));
        expect(isConflict(byUid)).toBe(true);
        expect(byUid.message).toContain('Precondition failed: UID in precondition: another-uid');
        const byRv = await failure(s.delete('/pods/default/p1', { preconditions: { resourceVersion: created.metadata.resourceVersion! } }));
        expect(isConflict(byRv)).toBe(true);
        expect((await s.get<Pod>('/pods/default/p1'))!.spec.nodeName).toBe('n2');
      });

      it('lets validateDeletion refuse, leaving the object in place', async () => {
        const s = await newStore();
        await s.create('/pods/default/p1', pod('p1'));
        const refusal = new Error('has finalizers');
        await expect(s.delete<Pod>('/pods/default/p1', { validateDeletion: (p) => { if (p.spec.nodeName) throw refusal; } })).rejects.toBe(refusal);
        expect(await s.get('/pods/default/p1')).toBeDefined();
      });

      it('rechecks preconditions against the newest state when the object changes under a delete', async () => {
        const s = await newStore();
        await s.create('/pods/default/p1', pod('p1'));
        let first = true;
        const err = await failure(s.delete<Pod>('/pods/default/p1', {
          preconditions: { uid: 'uid-p1' },
          validateDeletion: async () => {
            if (!first) return;
            first = false;
            // Replace the object (same name, new uid) between the read and the delete's compare.
            await s.delete('/pods/default/p1');
            await s.create('/pods/default/p1', { ...pod('p1'), metadata: { name: 'p1', namespace: 'default', uid: 'uid-new' } });
          },
        }));
        expect(isConflict(err)).toBe(true);
        expect((await s.get('/pods/default/p1'))!.metadata.uid).toBe('uid-new');
      });
    });

    describe('guaranteedUpdate', () => {
      it('passes the current object and stores the result under a new revision', async () => {
        const s = await newStore();
        const created = await s.create('/pods/default/p1', pod('p1'));
        const updated = await s.guaranteedUpdate<Pod>('/pods/default/p1', {
          tryUpdate: (cur) => {
            expect(cur).toEqual(created);
            return { ...cur!, spec: { ...cur!.spec, nodeName: 'node-2' } };
          },
        });
        expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
        expect(await s.get('/pods/default/p1')).toEqual(updated);
      });

      it('fails NotFound for a missing key, or creates it with ignoreNotFound', async () => {
        const s = await newStore();
        expect(isNotFound(await failure(s.guaranteedUpdate<Pod>('/pods/default/p1', { tryUpdate: () => pod('p1') })))).toBe(true);
        const created = await s.guaranteedUpdate<Pod>('/pods/default/p1', {
          ignoreNotFound: true,
          tryUpdate: (cur) => {
            expect(cur).toBeUndefined();
            return pod('p1');
          },
        });
        expect(await s.get('/pods/default/p1')).toEqual(created);
      });

      it('does not write or bump the revision when nothing changed', async () => {
        const s = await newStore();
        const created = await s.create('/pods/default/p1', pod('p1'));
        const same = await s.guaranteedUpdate<Pod>('/pods/default/p1', { tryUpdate: (cur) => cur! });
        expect(same.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
        expect(await s.currentRevision()).toBe(created.metadata.resourceVersion);
      });

      it('gives Conflict when the caller pins a stale resourceVersion', async () => {
        const s = await newStore();
        const created = await s.create('/pods/default/p1', pod('p1'));
        await s.guaranteedUpdate<Pod>('/pods/default/p1', { tryUpdate: (p) => ({ ...p!, spec: { ...p!.spec, nodeName: 'n2' } }) });
        const err = await failure(s.guaranteedUpdate<Pod>('/pods/default/p1', {
          tryUpdate: (p) => ({ ...p!, metadata: { ...p!.metadata, resourceVersion: created.metadata.resourceVersion! }, spec: { ...p!.spec, nodeName: 'n3' } }),
        }));
        expect(isConflict(err)).toBe(true);
        expect(err.message).toContain('the object has been modified');
        expect((await s.get<Pod>('/pods/default/p1'))!.spec.nodeName).toBe('n2');
      });

      it('gives Conflict on a failed uid precondition', async () => {
        const s = await newStore();
        await s.create('/pods/default/p1', pod('p1'));
        const err = await failure(s.guaranteedUpdate<Pod>('/pods/default/p1', { preconditions: { uid: 'x' }, tryUpdate: (p) => p! }));
        expect(isConflict(err)).toBe(true);
      });

      it('propagates an error thrown by tryUpdate and leaves the object alone', async () => {
        const s = await newStore();
        const created = await s.create('/pods/default/p1', pod('p1'));
        const boom = new Error('boom');
        await expect(s.guaranteedUpdate('/pods/default/p1', { tryUpdate: () => { throw boom; } })).rejects.toBe(boom);
        expect(await s.get('/pods/default/p1')).toEqual(created);
      });

      it('retries against the newest state so that no concurrent update is lost', async () => {
        const s = await newStore();
        await s.create('/counters/c', { metadata: { name: 'c' }, n: 0 });
        let calls = 0;
        await Promise.all(Array.from({ length: 20 }, () => s.guaranteedUpdate<Counter>('/counters/c', {
          tryUpdate: async (cur) => {
            calls++;
            await new Promise((r) => setTimeout(r, 1));
            return { ...cur!, n: cur!.n + 1 };
          },
        })));
        expect((await s.get<Counter>('/counters/c'))!.n).toBe(20);
        expect(calls).toBeGreaterThan(20);
      });
    });

    describe('list', () => {
      it('lists a prefix in key order at the current revision, excluding sibling prefixes', async () => {
        const s = await newStore();
        for (const [ns, n] of [['b', 'p2'], ['a', 'p1'], ['b', 'p1'], ['ab', 'p1']] as const) await s.create(`/pods/${ns}/${n}`, pod(n, { namespace: ns }));
        await s.create('/services/b/p1', pod('p1'));
        const all = await s.list<Pod>('/pods/');
        expect(all.items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(['a/p1', 'ab/p1', 'b/p1', 'b/p2']);
        expect(all.resourceVersion).toBe(await s.currentRevision());
        expect(all.continue).toBeUndefined();
        const b = await s.list<Pod>('/pods/b/');
        expect(b.items.map((p) => p.metadata.name)).toEqual(['p1', 'p2']);
        expect((await s.list('/pods/zz/')).items).toEqual([]);
        expect(await s.count('/pods/')).toBe(4);
        expect(await s.count('/pods/b/')).toBe(2);
      });

      it('filters by label and field selectors', async () => {
        const s = await newStore();
        await s.create('/pods/default/web1', pod('web1', { labels: { app: 'web', tier: 'front' } }));
        await s.create('/pods/default/web2', pod('web2', { labels: { app: 'web' }, nodeName: 'node-2' }));
        await s.create('/pods/default/db', pod('db', { labels: { app: 'db' } }));
        await s.create('/pods/default/none', pod('none', { nodeName: '' }));
        const names = async (o: { labelSelector?: string; fieldSelector?: string }) => (await s.list('/pods/', o)).items.map((p) => p.metadata.name);
        expect(await names({ labelSelector: 'app=web' })).toEqual(['web1', 'web2']);
        expect(await names({ labelSelector: 'app in (web,db),!tier' })).toEqual(['db', 'web2']);
        expect(await names({ labelSelector: 'app!=web' })).toEqual(['db', 'none']);
        expect(await names({ fieldSelector: 'spec.nodeName=node-1' })).toEqual(['db', 'web1']);
        expect(await names({ fieldSelector: 'spec.nodeName=' })).toEqual(['none']);
        expect(await names({ fieldSelector: 'metadata.name!=db', labelSelector: 'app' })).toEqual(['web1', 'web2']);
        expect(isBadRequest(await failure(s.list('/pods/', { labelSelector: 'app in web' })))).toBe(true);
        expect(isBadRequest(await failure(s.list('/pods/', { fieldSelector: 'spec.nodeName' })))).toBe(true);
      });

      it('paginates with limit and continue, each item exactly once, at the first page\'s revision', async () => {
        const s = await newStore();
        for (let i = 0; i < 7; i++) await s.create(`/pods/default/p${i}`, pod(`p${i}`));
        const first = await s.list<Pod>('/pods/', { limit: 3 });
        expect(first.items.map((p) => p.metadata.name)).toEqual(['p0', 'p1', 'p2']);
        expect(first.remainingItemCount).toBe(4);
        expect(first.continue).toBeTruthy();
        // Writes after the first page are invisible to later pages: the listing is one snapshot.
        await s.create('/pods/default/p9', pod('p9'));
        await s.guaranteedUpdate<Pod>('/pods/default/p5', { tryUpdate: (p) => ({ ...p!, spec: { ...p!.spec, nodeName: 'moved' } }) });
        await s.delete('/pods/default/p6');
        const second = await s.list<Pod>('/pods/', { limit: 3, continue: first.continue! });
        expect(second.items.map((p) => p.metadata.name)).toEqual(['p3', 'p4', 'p5']);
        expect(second.items[2]!.spec.nodeName).toBe('node-1');
        expect(second.resourceVersion).toBe(first.resourceVersion);
        expect(second.remainingItemCount).toBe(1);
        const third = await s.list<Pod>('/pods/', { limit: 3, continue: second.continue! });
        expect(third.items.map((p) => p.metadata.name)).toEqual(['p6']);
        expect(third.continue).toBeUndefined();
        expect(third.remainingItemCount).toBeUndefined();
      });

      it('fills pages from matching items only when a selector is given', async () => {
        const s = await newStore();
        for (let i = 0; i < 20; i++) await s.create(`/pods/default/p${String(i).padStart(2, '0')}`, pod(`p${i}`, { labels: { even: String(i % 2 === 0) } }));
        const seen: string[] = [];
        let cont: string | undefined;
        do {
          const page = await s.list<Pod>('/pods/', { limit: 3, labelSelector: 'even=true', ...(cont ? { continue: cont } : {}) });
          expect(page.items.length).toBeLessThanOrEqual(3);
          expect(page.remainingItemCount).toBeUndefined();
          seen.push(...page.items.map((p) => p.metadata.name!));
          cont = page.continue;
        } while (cont);
        expect(seen).toEqual(['p0', 'p2', 'p4', 'p6', 'p8', 'p10', 'p12', 'p14', 'p16', 'p18']);
      });

      it('refuses a malformed continue token with BadRequest', async () => {
        const s = await newStore();
        expect(isBadRequest(await failure(s.list('/pods/', { continue: 'not-a-token' })))).toBe(true);
        const escaping = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: 1, start: '../secrets/' })).toString('base64url');
        expect(isBadRequest(await failure(s.list('/pods/', { continue: escaping })))).toBe(true);
      });

      it('gives 410 for a continue token whose revision was compacted, with a fresh token that lists the rest', async () => {
        const s = await newStore();
        for (let i = 0; i < 5; i++) await s.create(`/pods/default/p${i}`, pod(`p${i}`));
        const first = await s.list<Pod>('/pods/', { limit: 2 });
        await s.create('/pods/default/p7', pod('p7'));
        await s.compact(await s.currentRevision());
        const err = await failure(s.list('/pods/', { limit: 2, continue: first.continue! }));
        expect(isGone(err)).toBe(true);
        expect(err.message).toMatch(/continue parameter is too old/);
        const fresh = err.status.metadata.continue;
        expect(fresh).toBeTruthy();
        const rest = await s.list<Pod>('/pods/', { continue: fresh! });
        expect(rest.items.map((p) => p.metadata.name)).toEqual(['p2', 'p3', 'p4', 'p7']);
        expect(rest.resourceVersion).toBe(await s.currentRevision());
      });

      it('lists at an exact revision, or at one not older than asked', async () => {
        const s = await newStore();
        const v1 = await s.create('/pods/default/p1', pod('p1'));
        const v2 = await s.guaranteedUpdate<Pod>('/pods/default/p1', { tryUpdate: (p) => ({ ...p!, spec: { ...p!.spec, nodeName: 'node-2' } }) });
        const p2 = await s.create('/pods/default/p2', pod('p2'));
        const exact = await s.list<Pod>('/pods/', { resourceVersion: v1.metadata.resourceVersion!, resourceVersionMatch: 'Exact' });
        expect(exact.resourceVersion).toBe(v1.metadata.resourceVersion);
        expect(exact.items).toEqual([v1]);
        // Not older than p2's revision: a cache that lags the backend (etcd's watch) must catch up first.
        const notOlder = await s.list<Pod>('/pods/', { resourceVersion: p2.metadata.resourceVersion!, resourceVersionMatch: 'NotOlderThan' });
        expect(notOlder.items.map((p) => p.metadata.name)).toEqual(['p1', 'p2']);
        expect(notOlder.items[0]).toEqual(v2);
        const any = await s.list<Pod>('/pods/', { resourceVersion: '0' });
        expect(Number(any.resourceVersion)).toBeGreaterThanOrEqual(Number(v1.metadata.resourceVersion));
        const future = String(Number(await s.currentRevision()) + 100);
        const tooNew = await failure(s.list('/pods/', { resourceVersion: future, resourceVersionMatch: 'Exact' }));
        expect(isTimeout(tooNew)).toBe(true);
        expect(tooNew.message).toMatch(/Too large resource version/);
        expect(isTimeout(await failure(s.list('/pods/', { resourceVersion: future })))).toBe(true);
        expect(isBadRequest(await failure(s.list('/pods/', { resourceVersion: 'abc' })))).toBe(true);
        expect(isBadRequest(await failure(s.list('/pods/', { resourceVersionMatch: 'NotOlderThan' })))).toBe(true);
        expect(isBadRequest(await failure(s.list('/pods/', { resourceVersion: '0', resourceVersionMatch: 'Exact' })))).toBe(true);
        expect((await s.list('/pods/', { resourceVersion: '0', resourceVersionMatch: 'NotOlderThan' })).items).toHaveLength(2);
        await s.compact(await s.currentRevision());
        const old = await failure(s.list('/pods/', { resourceVersion: v1.metadata.resourceVersion!, resourceVersionMatch: 'Exact' }));
        expect(isGone(old)).toBe(true);
      });
    });

    describe('watch', () => {
      it('from now: sees only later writes, as ADDED, MODIFIED and DELETED in order', async () => {
        const s = await newStore();
        await s.create('/pods/default/old', pod('old'));
        const w = s.watch<Pod>('/pods/', {});
        await settle(s, w);
        const a = await s.create('/pods/default/p1', pod('p1'));
        const m = await s.guaranteedUpdate<Pod>('/pods/default/p1', { tryUpdate: (p) => ({ ...p!, spec: { ...p!.spec, nodeName: 'n2' } }) });
        const d = await s.delete<Pod>('/pods/default/p1');
        const evs = await take(w, 3);
        expect(evs.map((e) => [e.type, e.object.metadata.resourceVersion])).toEqual([
          ['ADDED', a.metadata.resourceVersion], ['MODIFIED', m.metadata.resourceVersion], ['DELETED', d.metadata.resourceVersion],
        ]);
        expect((evs[2]!.object as Pod).spec.nodeName).toBe('n2');
        w.stop();
      });

      it('from a revision: replays every event after it, then continues live', async () => {
        const s = await newStore();
        const a = await s.create('/pods/default/p1', pod('p1'));
        const b = await s.create('/pods/default/p2', pod('p2'));
        const c = await s.guaranteedUpdate<Pod>('/pods/default/p1', { tryUpdate: (p) => ({ ...p!, spec: { ...p!.spec, nodeName: 'n2' } }) });
        const w = s.watch<Pod>('/pods/', { resourceVersion: a.metadata.resourceVersion! });
        const d = await s.create('/pods/default/p3', pod('p3'));
        const evs = await take(w, 3);
        expect(evs.map((e) => [e.type, e.object.metadata.name, e.object.metadata.resourceVersion])).toEqual([
          ['ADDED', 'p2', b.metadata.resourceVersion], ['MODIFIED', 'p1', c.metadata.resourceVersion], ['ADDED', 'p3', d.metadata.resourceVersion],
        ]);
        w.stop();
      });

      it('watches one key when not recursive', async () => {
        const s = await newStore();
        const from = await s.currentRevision();
        const w = s.watch<Pod>('/pods/default/p1', { recursive: false, resourceVersion: from });
        const w2 = s.watch<Pod>('/pods/default/p1', { recursive: false, resourceVersion: from });
        await s.create('/pods/default/p10', pod('p10'));
        await s.create('/pods/default/p1', pod('p1'));
        const [ev] = await take(w, 1);
        expect(ev!.object.metadata.name).toBe('p1');
        w.stop();
        await s.guaranteedUpdate<Pod>('/pods/default/p1', { tryUpdate: (p) => ({ ...p!, spec: { ...p!.spec, nodeName: 'n1' } }) });
        await s.delete('/pods/default/p10');
        await s.delete('/pods/default/p1');
        expect((await take(w2, 3)).map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED p1', 'MODIFIED p1', 'DELETED p1']);
        w2.stop();
      });

      it('with initial events: ADDED for the current state, a bookmark ending them, then live events', async () => {
        const s = await newStore();
        await s.create('/pods/default/p1', pod('p1'));
        await s.create('/pods/default/p2', pod('p2', { labels: { skip: 'y' } }));
        await s.create('/pods/default/p3', pod('p3'));
        const rev = await s.currentRevision();
        const w = s.watch<Pod>('/pods/', { sendInitialEvents: true, allowBookmarks: true, labelSelector: '!skip' });
        const initial = await take(w, 3);
        expect(initial.map((e) => [e.type, e.object.metadata.name])).toEqual([['ADDED', 'p1'], ['ADDED', 'p3'], ['BOOKMARK', undefined]]);
        expect(initial[2]!.object.metadata.resourceVersion).toBe(rev);
        expect((initial[2]!.object.metadata.annotations as Record<string, string>)[INITIAL_EVENTS_END_ANNOTATION]).toBe('true');
        const p4 = await s.create('/pods/default/p4', pod('p4'));
        const next = await takeNonBookmark(w, 1);
        expect(next.map((e) => [e.type, e.object.metadata.resourceVersion])).toEqual([['ADDED', p4.metadata.resourceVersion]]);
        w.stop();
      });

      it('turns selector transitions into ADDED and DELETED', async () => {
        const s = await newStore();
        await s.create('/pods/default/p1', pod('p1', { labels: { app: 'web' } }));
        const w = s.watch<Pod>('/pods/', { labelSelector: 'app=web', resourceVersion: await s.currentRevision() });
        const relabel = (app: string) => s.guaranteedUpdate<Pod>('/pods/default/p1', { tryUpdate: (p) => ({ ...p!, metadata: { ...p!.metadata, labels: { app } } }) });
        const out = await relabel('db');
        await relabel('db2');
        const back = await relabel('web');
        const evs = await take(w, 2);
        expect(evs.map((e) => [e.type, e.object.metadata.resourceVersion])).toEqual([['DELETED', out.metadata.resourceVersion], ['ADDED', back.metadata.resourceVersion]]);
        // The DELETED object is the last state that matched, reported at the revision it stopped matching.
        expect(evs[0]!.object.metadata.labels).toEqual({ app: 'web' });
        w.stop();
      });

      it('filters watch events by field selector, as a kubelet watching its node\'s pods does', async () => {
        const s = await newStore();
        await s.create('/pods/default/p1', pod('p1', { nodeName: '' }));
        const w = s.watch<Pod>('/pods/', { fieldSelector: 'spec.nodeName=node-9', resourceVersion: await s.currentRevision() });
        await s.create('/pods/default/p2', pod('p2'));
        const bound = await s.guaranteedUpdate<Pod>('/pods/default/p1', { tryUpdate: (p) => ({ ...p!, spec: { ...p!.spec, nodeName: 'node-9' } }) });
        const gone = await s.delete<Pod>('/pods/default/p1');
        const evs = await take(w, 2);
        expect(evs.map((e) => [e.type, e.object.metadata.name, e.object.metadata.resourceVersion])).toEqual([
          ['ADDED', 'p1', bound.metadata.resourceVersion], ['DELETED', 'p1', gone.metadata.resourceVersion],
        ]);
        w.stop();
      });

      it('delivers concurrent writers\' events in revision order without gaps or duplicates', async () => {
        const s = await newStore();
        const start = await s.currentRevision();
        const w = s.watch<Counter>('/counters/', { resourceVersion: start });
        const writers = 4;
        const per = 25;
        const revs: number[] = [];
        await Promise.all(Array.from({ length: writers }, async (_, i) => {
          const key = `/counters/w${i}`;
          revs.push(Number((await s.create<Counter>(key, { metadata: { name: `w${i}` }, n: 0 })).metadata.resourceVersion));
          for (let j = 1; j < per; j++) {
            const u = await s.guaranteedUpdate<Counter>(key, { tryUpdate: (c) => ({ ...c!, n: j }) });
            revs.push(Number(u.metadata.resourceVersion));
          }
        }));
        const evs = await take(w, writers * per);
        const seen = evs.map((e) => Number(e.object.metadata.resourceVersion));
        expect(seen).toEqual([...revs].sort((a, b) => a - b));
        for (let i = 0; i < writers; i++) {
          expect(evs.filter((e) => e.object.metadata.name === `w${i}`).map((e) => (e.object as Counter).n)).toEqual(Array.from({ length: per }, (_, j) => j));
        }
        w.stop();
      });

      it('ends with a 410 ERROR when started from a compacted revision', async () => {
        const s = await newStore();
        const a = await s.create('/pods/default/p1', pod('p1'));
        await s.create('/pods/default/p2', pod('p2'));
        await s.create('/pods/default/p3', pod('p3'));
        await s.compact(await s.currentRevision());
        // Two revisions back: etcd still serves a watch starting exactly at the compacted revision.
        const w = s.watch<Pod>('/pods/', { resourceVersion: a.metadata.resourceVersion! });
        const evs = await drain(w);
        expect(evs).toHaveLength(1);
        expect(evs[0]!.type).toBe('ERROR');
        expect((evs[0]!.object as StatusError['status']).code).toBe(410);
      });

      it('sends periodic bookmarks that advance with the store\'s revision', async () => {
        const s = await newStore({ bookmarkIntervalMs: 50 });
        const w = s.watch<Pod>('/pods/', { allowBookmarks: true, resourceVersion: await s.currentRevision() });
        const p1 = await s.create('/pods/default/p1', pod('p1'));
        const [added] = await take(w, 1);
        expect(added!.type).toBe('ADDED');
        const other = await s.create('/services/default/s1', pod('s1'));
        const bm = await takeUntil(w, (e) => e.type === 'BOOKMARK' && Number(e.object.metadata.resourceVersion) >= Number(other.metadata.resourceVersion), 15_000);
        expect(bm.every((e) => e.type === 'BOOKMARK')).toBe(true);
        const revs = bm.map((e) => Number(e.object.metadata.resourceVersion));
        expect(revs).toEqual([...revs].sort((a, b) => a - b));
        expect(revs[0]).toBeGreaterThanOrEqual(Number(p1.metadata.resourceVersion));
        w.stop();
      });

      it('sends no bookmarks unless asked', async () => {
        const s = await newStore({ bookmarkIntervalMs: 20 });
        const w = s.watch<Pod>('/pods/', {});
        await settle(s, w);
        await s.create('/services/default/s1', pod('s1'));
        await new Promise((r) => setTimeout(r, 150));
        const p = await s.create('/pods/default/p1', pod('p1'));
        const [ev] = await take(w, 1);
        expect([ev!.type, ev!.object.metadata.resourceVersion]).toEqual(['ADDED', p.metadata.resourceVersion]);
        w.stop();
      });

      it('ends the iteration on stop', async () => {
        const s = await newStore();
        const w = s.watch<Pod>('/pods/', {});
        const pending = drain(w);
        w.stop();
        w.stop();
        expect(await pending).toEqual([]);
      });

      it('refuses a malformed selector or resourceVersion with BadRequest', async () => {
        const s = await newStore();
        expect(isBadRequest(await failure((async () => s.watch('/pods/', { labelSelector: '=x' }))()))).toBe(true);
        expect(isBadRequest(await failure((async () => s.watch('/pods/', { resourceVersion: 'x1' }))()))).toBe(true);
      });
    });

    describe('compact and close', () => {
      it('keeps the latest state readable after compaction', async () => {
        const s = await newStore();
        await s.create('/pods/default/p1', pod('p1'));
        const p2 = await s.create('/pods/default/p2', pod('p2'));
        await s.delete('/pods/default/p1');
        const p2b = await s.guaranteedUpdate<Pod>('/pods/default/p2', { tryUpdate: (p) => ({ ...p!, spec: { ...p!.spec, nodeName: 'x' } }) });
        const rev = await s.currentRevision();
        await s.compact(rev);
        expect((await s.list('/pods/')).items).toEqual([p2b]);
        expect(await s.count('/pods/')).toBe(1);
        expect(await s.currentRevision()).toBe(rev);
        expect(Number(p2b.metadata.resourceVersion)).toBeGreaterThan(Number(p2.metadata.resourceVersion));
        const next = await s.create('/pods/default/p3', pod('p3'));
        expect(Number(next.metadata.resourceVersion)).toBeGreaterThan(Number(rev));
        expect(isBadRequest(await failure(s.compact(String(Number(next.metadata.resourceVersion) + 10))))).toBe(true);
      });

      it('ends open watches on close and refuses later calls', async () => {
        const s = await newStore();
        const w = s.watch<Pod>('/pods/', {});
        await settle(s, w);
        await s.close();
        await s.close();
        const evs = await drain(w);
        expect(evs.filter((e) => e.type !== 'ERROR')).toEqual([]);
        await expect(s.get('/pods/default/p1')).rejects.toThrow(/closed/);
      });
    });
  });
}

interface Pod extends StoredObject {
  spec: { nodeName?: string; [k: string]: unknown };
}
interface Counter extends StoredObject {
  n: number;
}

function pod(name: string, o: { namespace?: string; labels?: Record<string, string>; nodeName?: string } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.namespace ?? 'default', uid: `uid-${name}`, ...(o.labels ? { labels: o.labels } : {}) },
    spec: { nodeName: o.nodeName ?? 'node-1', containers: [{ name: 'c', image: 'busybox' }] },
  };
}

async function failure(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (err) {
    return err as StatusError;
  }
  throw new Error('expected the call to fail');
}

type Ev = WatchEvent<StoredObject> & { object: StoredObject };

/** Takes events until `done` holds for one, within `ms`; fails with what arrived otherwise. */
async function takeUntil(w: Watch<StoredObject>, done: (e: Ev) => boolean, ms = 5_000): Promise<Ev[]> {
  const it = iteratorOf(w);
  const out: Ev[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      it.next(),
      new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), Math.max(left, 0)); }),
    ]);
    clearTimeout(timer);
    if (r === 'timeout') throw new Error(`watch: timed out after ${ms} ms; got ${JSON.stringify(out.map((e) => [e.type, e.object.metadata?.name, e.object.metadata?.resourceVersion]))}`);
    if (r.done) throw new Error(`watch ended early; got ${JSON.stringify(out.map((e) => [e.type, e.object.metadata?.name]))}`);
    out.push(r.value as Ev);
    if (done(r.value as Ev)) return out;
  }
}

const take = (w: Watch<StoredObject>, n: number) => { let i = 0; return takeUntil(w, () => ++i >= n); };

/** Skips bookmarks (which may come at any time once allowed) while taking `n` other events. */
async function takeNonBookmark(w: Watch<StoredObject>, n: number): Promise<Ev[]> {
  let i = 0;
  return (await takeUntil(w, (e) => e.type !== 'BOOKMARK' && ++i >= n)).filter((e) => e.type !== 'BOOKMARK');
}

async function drain(w: Watch<StoredObject>): Promise<Ev[]> {
  const out: Ev[] = [];
  for await (const e of w) out.push(e as Ev);
  return out;
}

const iterators = new WeakMap<Watch<StoredObject>, AsyncIterator<WatchEvent<StoredObject>>>();
function iteratorOf(w: Watch<StoredObject>): AsyncIterator<WatchEvent<StoredObject>> {
  let it = iterators.get(w);
  if (!it) {
    it = w[Symbol.asyncIterator]();
    iterators.set(w, it);
  }
  return it;
}

/**
 * A watch "from now" is established asynchronously (a remote backend must be asked for its
 * revision), so a test about "now" first writes marker objects under `prefix` until one shows up
 * on the watch, and consumes the markers' events; every other test pins a revision instead.
 */
async function settle(s: Store, w: Watch<StoredObject>, prefix = '/pods/default/'): Promise<void> {
  const it = iteratorOf(w);
  let last = '';
  let next: Promise<IteratorResult<WatchEvent<StoredObject>>> | undefined;
  for (let i = 0; ; i++) {
    last = (await s.create<StoredObject>(`${prefix}settle-${i}`, { metadata: { name: `settle-${i}` } })).metadata.resourceVersion!;
    next ??= it.next();
    const got = await Promise.race([next, new Promise<undefined>((r) => setTimeout(() => r(undefined), 200))]);
    if (!got) continue;
    next = undefined;
    if (got.done) throw new Error('watch ended while settling');
    // Markers written before the watch started were missed; the rest arrive in order, up to the last one.
    let rv = got.value.object.metadata?.resourceVersion;
    while (rv !== last) {
      const r = await it.next();
      if (r.done) throw new Error('watch ended while settling');
      rv = r.value.object.metadata?.resourceVersion;
    }
    return;
  }
}
