import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * Private container engines for this repository's adapter tests, e2e tests and benchmarks, started
 * by its `tools/images/start-engines.sh` (a Docker Engine or a containerd with its CRI plugin in a
 * temp dir, local images loaded, plus a private image registry on 127.0.0.1). Outside this
 * repository the script is absent and every leg reports why.
 */
const SCRIPT = resolve(import.meta.dirname, '../../../../tools/images/start-engines.sh');

export type EngineKind = 'docker' | 'containerd';

export interface PrivateEngine {
  /** The engine's unix socket. */
  socketPath: string;
  /** `127.0.0.1:PORT` of the private registry holding `peapod/busybox:1.36` (not yet pulled by the engine). */
  registry: string;
  /** Stops the engine, its containers and the registry, and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const run = promisify(execFile);
const stderrOf = (err: unknown) => String((err as { stderr?: string }).stderr || (err as Error).message).trim();

/**
 * Why legs needing `kind` cannot run on this machine (the engine's Debian packages are missing),
 * printed once; undefined when they can. In CI (`CI` set) always undefined: there the legs run and
 * fail with the install command instead of skipping. Synchronous, for `describe.skipIf`.
 */
export function engineSkipReason(kind: EngineKind): string | undefined {
  if (process.env.CI) return undefined;
  try {
    execFileSync(SCRIPT, ['check', kind], { stdio: 'pipe', timeout: 10_000 });
    return undefined;
  } catch (err) {
    const reason = `no ${kind} on this machine (${stderrOf(err)}); skipping its legs (CI never skips them)`;
    console.warn(reason);
    return reason;
  }
}

/** Starts a private engine of `kind`; rejects with the script's reason (e.g. the install command). */
export async function startPrivateEngine(kind: EngineKind, timeoutMs = 50_000): Promise<PrivateEngine> {
  // Short: unix socket paths are limited to 107 bytes.
  const dir = await mkdtemp(`/tmp/pp-${kind}-`);
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= run(SCRIPT, ['stop', dir], { timeout: 30_000 }).then(() => undefined));
  try {
    const [socketPath, registry] = (await run(SCRIPT, [kind, dir], { timeout: timeoutMs })).stdout.trim().split('\n');
    return { socketPath, registry, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw new Error(`could not start ${kind} (CI installs it through tools/setup.sh): ${stderrOf(err)}`, { cause: err });
  }
}
