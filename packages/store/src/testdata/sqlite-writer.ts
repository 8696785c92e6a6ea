// Child process for the kill -9 test: writes continuously and prints one line per acknowledged
// write (`<key> <resourceVersion> <n>`), so the parent knows exactly what was acknowledged.
import { createSqliteStore } from '../sqlite.js';

const [file, round] = process.argv.slice(2) as [string, string];
const store = createSqliteStore(file);
const counters = 4;
let seq = 0;

async function writer(w: number): Promise<never> {
  for (;;) {
    const i = seq++;
    const o = i % 3 === 0
      ? await store.guaranteedUpdate<{ metadata: { name: string; resourceVersion?: string }; n: number }>(`/counters/c${i % counters}`, {
        ignoreNotFound: true,
        tryUpdate: (cur) => ({ metadata: { name: `c${i % counters}` }, n: (cur?.n ?? 0) + 1 }),
      })
      : await store.create<{ metadata: { name: string; resourceVersion?: string }; n: number; pad: string }>(`/pods/r${round}/w${w}-${i}`, { metadata: { name: `w${w}-${i}` }, n: i, pad: 'p'.repeat(1500) });
    process.stdout.write(`${o.metadata.name?.startsWith('c') ? `/counters/${o.metadata.name}` : `/pods/r${round}/${o.metadata.name}`} ${o.metadata.resourceVersion} ${o.n}\n`);
  }
}
await Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)));
