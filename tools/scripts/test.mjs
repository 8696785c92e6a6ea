// The whole test suite: lint, type-check and build every package (tests included), one vitest run,
// then `pnpm bench --quick` on the build just made: the benchmarks' short mode, failing when a
// figure got more than 2x worse than tools/bench/baseline.json twice in a row (tools/bench/README.md).
// The benchmarks run only on the full suite (no vitest filter given) after a good build.
// Prints the runner's summary as a plain closing line: "tests: N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdirSync } from 'node:fs';

const env = { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false' };
const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', env }).status ?? 1;
const filters = process.argv.slice(2);

const checks = run('pnpm', ['-s', 'nx', 'run-many', '-t', 'build', 'lint', 'typecheck', '--output-style=stream-without-prefixes']);
mkdirSync('.vitest', { recursive: true });
const tests = run('pnpm', ['-s', 'vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile.json=.vitest/results.json', ...filters]);
const bench = filters.length || checks ? 0 : run(process.execPath, ['tools/scripts/bench.mjs', '--quick', '--no-build']);

let summary = 'tests: 0 passed, 1 failed';
try {
  const r = JSON.parse(readFileSync('.vitest/results.json', 'utf8'));
  summary = `tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`;
} catch { /* vitest did not write results: reported as a failure above */ }
if (checks !== 0) console.log('lint, type-check or build failed (see above)');
if (bench !== 0) console.log('pnpm bench --quick failed: a benchmark regressed or failed (see "bench:" above)');
console.log(summary);
process.exit(checks || tests || bench);
