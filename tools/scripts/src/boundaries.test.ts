import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');

/**
 * The dependency direction of CONVENTIONS.md is enforced by lint: a store module importing the
 * kubelet (a wrong arrow) fails with the module-boundary rule, while an allowed import passes.
 */
it('lint fails on an import against the dependency direction', () => {
  const env = { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false' };
  execFileSync('pnpm', ['-s', 'nx', 'show', 'projects'], { cwd: root, env, stdio: 'ignore' }); // caches the project graph eslint reads
  const wrong = join(root, 'packages/store/src/boundary-probe-wrong.ts');
  const right = join(root, 'packages/store/src/boundary-probe-right.ts');
  try {
    writeFileSync(wrong, "import { Kubelet } from '@peapod/kubelet';\nexport const probe = Kubelet;\n");
    writeFileSync(right, "import { RESOURCES } from '@peapod/api-types';\nexport const probe = RESOURCES;\n");
    const bad = spawnSync('pnpm', ['-s', 'eslint', '--no-warn-ignored', wrong], { cwd: root, env, encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('A project tagged with "type:store" can only depend on libs tagged with "type:core", "type:api"');
    const good = spawnSync('pnpm', ['-s', 'eslint', '--no-warn-ignored', right], { cwd: root, env, encoding: 'utf8' });
    expect(good.stdout).not.toContain('enforce-module-boundaries');
    expect(good.status).toBe(0);
  } finally {
    rmSync(wrong, { force: true });
    rmSync(right, { force: true });
  }
}, 120_000);
