// The one line through which every benchmark script hands a headline figure to `pnpm bench`.
// Plain JavaScript with a declaration file next to it, so that packages' bench scripts can import
// it by relative path without pulling a TypeScript source outside their rootDir. It lives outside
// every Nx project so that a package's bench importing it adds no edge to the project graph (an
// edge from a package to @peapod/bench, which depends on the packages, would be a cycle).
// The line format is described in tools/bench/README.md.

/** Prints `BENCH {json}`: one metric with the floor or peer measured in the same run. */
export function emit(metric, value, unit, floor) {
  if (!Number.isFinite(value)) throw new Error(`benchmark metric ${metric} has no finite value (${value})`);
  console.log(`BENCH ${JSON.stringify({ metric, value, unit, ...(floor ? { floor } : {}) })}`);
}
