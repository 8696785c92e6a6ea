// The whole test suite: lint, type-check every package (tests included), then one vitest run.
// Prints the runner's summary as a plain closing line: "tests: N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdirSync } from 'node:fs';

const env = { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false' };
const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', env }).status ?? 1;

const checks = run('pnpm', ['-s', 'nx', 'run-many', '-t', 'build', 'lint', 'typecheck', '--output-style=stream-without-prefixes']);
mkdirSync('.vitest', { recursive: true });
const tests = run('pnpm', ['-s', 'vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile.json=.vitest/results.json', ...process.argv.slice(2)]);

let summary = 'tests: 0 passed, 1 failed';
try {
  const r = JSON.parse(readFileSync('.vitest/results.json', 'utf8'));
  summary = `tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`;
} catch { /* vitest did not write results: reported as a failure above */ }
if (checks !== 0) console.log('lint, type-check or build failed (see above)');
console.log(summary);
process.exit(checks || tests);
