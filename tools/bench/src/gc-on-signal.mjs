// Preloaded (`--import`) into a `peapod up` started by a benchmark with --expose-gc: SIGUSR2 runs
// a full garbage collection and answers on stdout, so the benchmark reads RSS after GC.
process.on('SIGUSR2', () => {
  globalThis.gc?.();
  console.log(`bench: gc done${globalThis.gc ? '' : ' (unavailable: start node with --expose-gc)'}`);
});
