import { readFileSync } from 'node:fs';

/** The CLI package's version. */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function version(): Promise<number> {
  console.log(`peapod ${cliVersion()} (node ${process.version})`);
  return 0;
}
