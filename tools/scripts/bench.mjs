// `pnpm bench [--quick] [--update-baseline] [--only ID,...] [--no-build]`: the runner is TypeScript
// (tools/bench/src/run.ts, described there and in tools/bench/README.md); this starts it under tsx.
import { spawnSync } from 'node:child_process';

const r = spawnSync(process.execPath, ['--import', 'tsx', 'tools/bench/src/run.ts', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
