import { open, stat } from 'node:fs/promises';
import { filterLogEntries, limitLogEntries, parseCriTimestamp, type LogEntry, type LogOptions } from '@peapod/runtime';

/**
 * Reads Docker's `json-file` log driver output as CRI log entries. Every container Peapod creates
 * logs through `json-file`, whose lines are `{"log":"...","stream":"stdout","time":"<RFC3339Nano>"}`;
 * the daemon (not this process) captures the output, so nothing is lost while no runtime instance
 * runs. Docker splits lines over 16 KiB into chunks without the trailing newline: those become
 * `P` entries, the chunk ending in `\n` an `F` entry, which is the CRI format's rule too.
 */
interface JsonLine {
  log: string;
  stream: string;
  time: string;
}

export function parseJsonLogLine(line: string): LogEntry | undefined {
  let j: JsonLine;
  try {
    j = JSON.parse(line) as JsonLine;
  } catch {
    return undefined; // a line cut by rotation or a crash: skipped, as docker logs does
  }
  if (j.stream !== 'stdout' && j.stream !== 'stderr') return undefined;
  const full = j.log.endsWith('\n');
  return { timestamp: j.time, time: parseCriTimestamp(j.time), stream: j.stream, tag: full ? 'F' : 'P', content: full ? j.log.slice(0, -1) : j.log };
}

/**
 * Entries of complete lines from `offset` on, sorted by time (the stdout and stderr copiers of the
 * daemon stamp lines independently; within one stream order is kept), and the offset after them.
 */
async function readFrom(path: string, offset: number): Promise<{ entries: LogEntry[]; offset: number }> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return { entries: [], offset };
  }
  if (size < offset) offset = 0;
  if (size === offset) return { entries: [], offset };
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(size - offset);
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    const last = buf.subarray(0, bytesRead).lastIndexOf(10);
    if (last < 0) return { entries: [], offset };
    const entries = buf
      .subarray(0, last)
      .toString('utf8')
      .split('\n')
      .map(parseJsonLogLine)
      .filter((e): e is LogEntry => e !== undefined)
      .sort((a, b) => a.time - b.time);
    return { entries, offset: offset + last + 1 };
  } finally {
    await fh.close();
  }
}

/**
 * The log at `path` with the contract's filters; with `follow`, polls for new lines until
 * `running()` says the container stopped and the file has been drained, or the signal aborts.
 */
export async function* readJsonLog(path: string, options: LogOptions, running: () => Promise<boolean>, pollMs = 50): AsyncIterable<LogEntry> {
  const first = await readFrom(path, 0);
  const initial = filterLogEntries(first.entries, options);
  async function* followed(): AsyncIterable<LogEntry> {
    yield* initial;
    let offset = first.offset;
    while (!options.signal?.aborted) {
      const live = await running();
      const next = await readFrom(path, offset);
      offset = next.offset;
      yield* next.entries;
      if (!live) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, pollMs);
        options.signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
      });
    }
  }
  yield* limitLogEntries(options.follow ? followed() : initial, options);
}
