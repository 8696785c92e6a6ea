import { RESOURCES, StatusError, type ConfigMap } from '@peapod/api-types';
import { FakeClock, silentLogger } from '@peapod/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createClient } from '../client.js';
import { FakeApiServer } from '../testing/fake-api-server.js';
import { SharedInformer } from './informer.js';

type Op =
  | { op: 'create' | 'update' | 'delete'; name: string }
  | { op: 'closeWatches' | 'compact' | 'bookmark' }
  | { op: 'outage'; times: number }
  | { op: 'advance'; ms: number };

const NAMES = ['a', 'b', 'c', 'd'];
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constantFrom('create', 'update', 'delete'), name: fc.constantFrom(...NAMES) }) as fc.Arbitrary<Op>, weight: 6 },
  { arbitrary: fc.record({ op: fc.constantFrom('closeWatches', 'compact', 'bookmark') }) as fc.Arbitrary<Op>, weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('outage'), times: fc.integer({ min: 1, max: 3 }) }) as fc.Arbitrary<Op>, weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('advance'), ms: fc.constantFrom(0, 500, 1000, 5000) }) as fc.Arbitrary<Op>, weight: 2 },
);

describe('SharedInformer under random changes, watch endings, compactions and transport failures', () => {
  it('converges to the server state, handlers see exactly that state, and no update goes back in time', async () => {
    await fc.assert(fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), async (ops) => {
      const clock = new FakeClock();
      const api = new FakeApiServer({ clock });
      let failures = 0;
      api.onRequest = (req) => {
        if (req.method === 'GET' && failures > 0) {
          failures--;
          throw new StatusError({ code: 503, reason: 'ServiceUnavailable', message: 'injected' });
        }
      };
      const cms = createClient(api).resource(RESOURCES.configmaps);
      const inf = new SharedInformer(RESOURCES.configmaps, { namespace: 'ns' }, { client: createClient(api), clock, logger: silentLogger });
      // What a controller would believe from the handler calls alone.
      const shadow = new Map<string, string>();
      let wentBack = false;
      inf.addEventHandler({
        onAdd: (o) => { if (shadow.has(o.metadata.name!)) wentBack = true; shadow.set(o.metadata.name!, o.metadata.resourceVersion!); },
        onUpdate: (old, o) => {
          if (shadow.get(o.metadata.name!) !== old.metadata.resourceVersion || Number(o.metadata.resourceVersion) <= Number(old.metadata.resourceVersion)) wentBack = true;
          shadow.set(o.metadata.name!, o.metadata.resourceVersion!);
        },
        onDelete: (o) => { if (!shadow.delete(o.metadata.name!)) wentBack = true; },
      });
      inf.start();
      let n = 0;
      for (const o of ops) {
        switch (o.op) {
          case 'create': await cms.create({ metadata: { name: o.name, namespace: 'ns' } } as ConfigMap).catch(() => undefined); break;
          case 'update': await cms.patch(o.name, 'merge', { data: { n: String(++n) } }, { namespace: 'ns' }).catch(() => undefined); break;
          case 'delete': await cms.delete(o.name, { namespace: 'ns' }).catch(() => undefined); break;
          case 'closeWatches': api.closeWatches(); break;
          case 'compact': api.compact(); break;
          case 'bookmark': api.bookmark(); break;
          // The server fails the next `times` reads and ends the watch, so the informer is down while later ops change things.
          case 'outage': failures += o.times; api.closeWatches(); break;
          case 'advance': await clock.advance(o.ms); break;
        }
        await clock.advance(0);
      }
      failures = 0;
      await clock.advance(120_000); // longer than any backoff

      const server = new Map((await cms.list({ namespace: 'ns' })).items.map((o) => [o.metadata.name!, o.metadata.resourceVersion!]));
      const cached = new Map(inf.store.list().map((o) => [o.metadata.name!, o.metadata.resourceVersion!]));
      await inf.stop();
      expect(inf.hasSynced()).toBe(true);
      expect(cached).toEqual(server);
      expect(shadow).toEqual(server);
      expect(wentBack).toBe(false);
    }), { numRuns: 150 });
  });
});
