// Preloaded (`--import`) into a `peapod up` started by a benchmark with --expose-gc: SIGUSR2 runs
// full garbage collections and answers on stdout, so the benchmark reads RSS after GC.
// One forced GC is not enough for a stable figure: V8 sweeps concurrently and gives pages back
// to the OS on the collections after the one that freed them, so RSS read right after a single
// GC of a busy heap varies by a third from run to run. Collections repeat (at most 5, 50 ms
// apart for the sweeper threads) until the committed heap stops shrinking.
import { getHeapStatistics } from 'node:v8';

const settle = () => new Promise((r) => setTimeout(r, 50));

process.on('SIGUSR2', async () => {
  if (globalThis.gc) {
    let committed = Infinity;
    for (let i = 0; i < 5; i++) {
      globalThis.gc();
      await settle();
      const now = getHeapStatistics().total_physical_size;
      if (now > committed * 0.99) break;
      committed = now;
    }
  }
  console.log(`bench: gc done${globalThis.gc ? '' : ' (unavailable: start node with --expose-gc)'}`);
});
