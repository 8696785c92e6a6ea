import { parseCriTimestamp, readLogFile, type LogEntry, type LogOptions } from '@peapod/runtime';

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
 * The log at `path` with the contract's filters; with `follow`, polls for new lines until
 * `running()` says the container stopped and the file has been drained, or the signal aborts.
 * The daemon's stdout and stderr copiers stamp lines independently, so each read is sorted by time.
 */
export function readJsonLog(path: string, options: LogOptions, running: () => Promise<boolean>, pollMs = 50): AsyncIterable<LogEntry> {
  return readLogFile(path, options, { parse: parseJsonLogLine, sortByTime: true }, { done: async () => !(await running()), pollMs });
}
