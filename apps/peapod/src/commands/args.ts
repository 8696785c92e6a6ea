import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from '../errors.js';

/** parseArgs with one-line errors and `--help` printing the command's usage. */
export function parseFlags<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O, usage: string) {
  try {
    const parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: false, strict: true });
    if ((parsed.values as { help?: boolean }).help) {
      console.log(usage);
      return undefined;
    }
    return parsed.values as { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string };
  } catch (err) {
    throw new CliError(`${(err as Error).message.split('\n')[0]}; see --help`);
  }
}

/** `HOST:PORT` or `:PORT` or `[::1]:PORT`. */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new CliError(`--listen must be HOST:PORT (got "${value}")`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}
