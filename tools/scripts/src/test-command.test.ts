import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `pnpm test` (tools/scripts/test.mjs) runs the quick benchmark check after the tests and fails
 * when it fails. Run here in a scratch copy with a fake `pnpm` (nx and vitest) and a fake
 * bench.mjs, whose exit codes each case chooses, so the wiring is checked in milliseconds.
 */
const dir = mkdtempSync(join(tmpdir(), 'peapod-test-command-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'tools/scripts'), { recursive: true });
mkdirSync(join(dir, 'bin'));
copyFileSync(resolve(import.meta.dirname, '../test.mjs'), join(dir, 'tools/scripts/test.mjs'));
writeFileSync(join(dir, 'tools/scripts/bench.mjs'), `import { writeFileSync } from 'node:fs';
writeFileSync('bench-args.json', JSON.stringify(process.argv.slice(2)));
console.log('bench: output');
process.exit(Number(process.env.FAKE_BENCH));
`);
writeFileSync(join(dir, 'bin/pnpm'), `#!/bin/sh
case "$2" in
  nx) exit "$FAKE_CHECKS" ;;
  vitest) echo '{"numPassedTests":7,"numFailedTests":'"$FAKE_TESTS"',"numPendingTests":0,"numTodoTests":0}' > .vitest/results.json; exit "$FAKE_TESTS" ;;
esac
exit 2
`);
chmodSync(join(dir, 'bin/pnpm'), 0o755);

function testCommand(codes: { checks?: number; tests?: number; bench?: number }, filters: string[] = []) {
  rmSync(join(dir, 'bench-args.json'), { force: true });
  const env = { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH}`, FAKE_CHECKS: String(codes.checks ?? 0), FAKE_TESTS: String(codes.tests ?? 0), FAKE_BENCH: String(codes.bench ?? 0) };
  const r = spawnSync(process.execPath, ['tools/scripts/test.mjs', ...filters], { cwd: dir, env, encoding: 'utf8', timeout: 20_000 });
  const benchArgs = existsSync(join(dir, 'bench-args.json')) ? JSON.parse(readFileSync(join(dir, 'bench-args.json'), 'utf8')) as string[] : undefined;
  return { status: r.status, lines: r.stdout.trim().split('\n'), benchArgs };
}

describe('pnpm test and the quick benchmark check', () => {
  it('runs bench --quick on the build it just made, then closes with the summary line', () => {
    const r = testCommand({});
    expect(r.status).toBe(0);
    expect(r.benchArgs).toEqual(['--quick', '--no-build']);
    expect(r.lines).toContain('bench: output');
    expect(r.lines.at(-1)).toBe('tests: 7 passed, 0 failed, 0 skipped');
  });

  it('exits non-zero when the benchmark check fails, though every test passed', () => {
    const r = testCommand({ bench: 1 });
    expect(r.status).not.toBe(0);
    expect(r.lines.at(-2)).toMatch(/bench --quick failed/);
    expect(r.lines.at(-1)).toBe('tests: 7 passed, 0 failed, 0 skipped');
  });

  it('does not benchmark a failed build, nor a run filtered to some tests', () => {
    const broken = testCommand({ checks: 1 });
    expect(broken.status).not.toBe(0);
    expect(broken.benchArgs).toBeUndefined();
    const filtered = testCommand({}, ['packages/store']);
    expect(filtered.status).toBe(0);
    expect(filtered.benchArgs).toBeUndefined();
  });

  it('still fails on failed tests', () => {
    const r = testCommand({ tests: 1 });
    expect(r.status).not.toBe(0);
    expect(r.lines.at(-1)).toBe('tests: 7 passed, 1 failed, 0 skipped');
  });
});
