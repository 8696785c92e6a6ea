import { open, stat } from 'node:fs/promises';
import type { LogEntry, LogOptions, LogStream } from './types.js';
import { runtimeInvalid } from './errors.js';

/**
 * The CRI container log format, shared by every adapter that writes logs and by readers:
 * one entry per line, `<RFC3339Nano timestamp> <stdout|stderr> <P|F> <content>\n`. A line longer
 * than `MAX_LOG_LINE` bytes is split into `P` (partial) entries ending with an `F` entry; the last
 * unterminated line of a stream is written as `F` when the stream ends (containerd's behaviour).
 */
export const MAX_LOG_LINE = 16 * 1024;

/**
 * RFC3339Nano in UTC with trailing zeros of the fraction trimmed (Go's `time.RFC3339Nano`). `ms`
 * may carry a fraction; it is kept to the microsecond, the precision a double holds for epoch ms.
 */
export function formatCriTimestamp(ms: number): string {
  const whole = Math.floor(ms);
  const nanos = Math.min(Math.round((ms - whole) * 1e3), 999) * 1e3 + (whole % 1000) * 1e6;
  const base = new Date(whole - (whole % 1000)).toISOString().slice(0, 19);
  const frac = String(nanos).padStart(9, '0').replace(/0+$/, '');
  return `${base}${frac ? `.${frac}` : ''}Z`;
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Epoch milliseconds (with sub-millisecond fraction) of an RFC3339Nano timestamp; NaN if malformed. */
export function parseCriTimestamp(ts: string): number {
  const m = TIMESTAMP.exec(ts);
  if (!m) return NaN;
  const base = Date.parse(`${m[1]}${m[3]}`);
  return base + (m[2] ? Number(m[2].padEnd(9, '0')) / 1e6 : 0);
}

/** Parses one log line (without its newline). Throws InvalidArgument for a line not in CRI format. */
export function parseCriLogLine(line: string): LogEntry {
  const a = line.indexOf(' ');
  const b = line.indexOf(' ', a + 1);
  const c = line.indexOf(' ', b + 1);
  const timestamp = line.slice(0, a);
  const stream = line.slice(a + 1, b);
  const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
  const time = parseCriTimestamp(timestamp);
  if (a < 0 || b < 0 || Number.isNaN(time) || (stream !== 'stdout' && stream !== 'stderr') || (tag !== 'P' && tag !== 'F')) {
    throw runtimeInvalid(`not a CRI log line: ${JSON.stringify(line.slice(0, 80))}`);
  }
  return { timestamp, time, stream, tag, content: c < 0 ? '' : line.slice(c + 1) };
}

export function formatCriLogLine(e: Pick<LogEntry, 'timestamp' | 'stream' | 'tag' | 'content'>): string {
  return `${e.timestamp} ${e.stream} ${e.tag} ${e.content}\n`;
}

/**
 * Turns a process's output chunks into CRI log entries. Feed it chunks as they arrive and call
 * `end(stream)` when a stream closes; `emit` receives each formatted entry. `now` gives the
 * timestamp (epoch ms, fractions allowed) so entries follow the runtime's clock.
 */
export class CriLogWriter {
  private readonly pending: Record<LogStream, Buffer[]> = { stdout: [], stderr: [] };
  private readonly pendingBytes: Record<LogStream, number> = { stdout: 0, stderr: 0 };

  constructor(
    private readonly emit: (entry: LogEntry, line: string) => void,
    private readonly now: () => number,
  ) {}

  write(stream: LogStream, chunk: Buffer | string): void {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (;;) {
      const nl = buf.indexOf(10);
      if (nl < 0) break;
      this.push(stream, buf.subarray(0, nl));
      this.flush(stream, 'F');
      buf = buf.subarray(nl + 1);
    }
    if (buf.length) this.push(stream, buf);
  }

  /** Bytes of `stream` received but not yet written (an unterminated line). */
  buffered(stream: LogStream): number {
    return this.pendingBytes[stream];
  }

  /** The stream closed: an unterminated last line becomes an `F` entry. */
  end(stream: LogStream): void {
    if (this.pendingBytes[stream] > 0) this.flush(stream, 'F');
  }

  private push(stream: LogStream, part: Buffer): void {
    this.pending[stream].push(part);
    this.pendingBytes[stream] += part.length;
    while (this.pendingBytes[stream] > MAX_LOG_LINE) {
      const all = Buffer.concat(this.pending[stream]);
      this.pending[stream] = [all.subarray(0, MAX_LOG_LINE)];
      this.pendingBytes[stream] = MAX_LOG_LINE;
      this.flush(stream, 'P');
      this.pending[stream] = [all.subarray(MAX_LOG_LINE)];
      this.pendingBytes[stream] = all.length - MAX_LOG_LINE;
    }
  }

  private flush(stream: LogStream, tag: 'P' | 'F'): void {
    const content = Buffer.concat(this.pending[stream]).toString('utf8');
    this.pending[stream] = [];
    this.pendingBytes[stream] = 0;
    const time = this.now();
    const entry: LogEntry = { timestamp: formatCriTimestamp(time), time, stream, tag, content };
    this.emit(entry, formatCriLogLine(entry));
  }
}

/**
 * Applies `since`, `stream` and `tailLines` to a complete list of entries. `tailLines` counts
 * lines, so the `P` entries of a kept line are kept with it.
 */
export function filterLogEntries(entries: readonly LogEntry[], options: LogOptions = {}): LogEntry[] {
  let out = entries.filter((e) => (options.since === undefined || e.time >= options.since) && (!options.stream || e.stream === options.stream));
  if (options.tailLines !== undefined) {
    let lines = 0;
    let start = out.length;
    for (let i = out.length - 1; i >= 0; i--) {
      if (out[i].tag === 'F') {
        if (lines === options.tailLines) break;
        lines++;
      }
      start = i;
    }
    out = options.tailLines === 0 ? [] : out.slice(start);
  }
  return out;
}

/** Bytes an entry adds to `kubectl logs` output: its content, and a newline when it ends a line. */
export function renderLogEntry(e: LogEntry, timestamps = false): string {
  return `${timestamps ? `${e.timestamp} ` : ''}${e.content}${e.tag === 'F' ? '\n' : ''}`;
}

/**
 * Yields entries passing `since`/`stream` and enforces `limitBytes` (counted on rendered
 * content, truncating the entry that crosses it). Used by every `readContainerLog`.
 */
export async function* limitLogEntries(entries: AsyncIterable<LogEntry> | Iterable<LogEntry>, options: LogOptions = {}): AsyncIterable<LogEntry> {
  let budget = options.limitBytes ?? Infinity;
  for await (const e of entries) {
    if (options.since !== undefined && e.time < options.since) continue;
    if (options.stream && e.stream !== options.stream) continue;
    const size = Buffer.byteLength(renderLogEntry(e));
    if (size <= budget) {
      budget -= size;
      yield e;
      continue;
    }
    if (budget > 0) yield { ...e, tag: 'P', content: Buffer.from(e.content).subarray(0, budget).toString('utf8') };
    return;
  }
}

/** How a log file's lines become entries (`readLogFile`). */
export interface LogFileFormat {
  /** One line (without its newline) as an entry; undefined skips it. */
  parse(line: string): LogEntry | undefined;
  /**
   * Sort each read by time: for writers that stamp stdout and stderr independently, so the file's
   * order across streams is not time order (order within a stream is kept).
   */
  sortByTime?: boolean;
}

const CRI_FORMAT: LogFileFormat = { parse: (line) => (line.length > 0 ? parseCriLogLine(line) : undefined) };

/**
 * Reads a log file with the given options. With `follow`, polls the file for new complete lines
 * every `pollMs` until `done()` says the writer finished (the container exited and its output was
 * drained) and the rest of the file has been read, or `options.signal` aborts. A file that shrank
 * was rotated: reading starts over.
 */
export async function* readLogFile(
  path: string,
  options: LogOptions,
  format: LogFileFormat,
  follow?: { done: () => boolean | Promise<boolean>; pollMs?: number },
): AsyncIterable<LogEntry> {
  const initial = await readFrom(path, 0, format);
  const first = filterLogEntries(initial.entries, options);
  yield* limitLogEntries(follow && options.follow ? concatFollow(first, path, initial.offset, format, options.signal, follow) : first, options);
}

/** `readLogFile` of a CRI log file. */
export function readCriLogFile(path: string, options: LogOptions, follow?: { done: () => boolean | Promise<boolean>; pollMs?: number }): AsyncIterable<LogEntry> {
  return readLogFile(path, options, CRI_FORMAT, follow);
}

async function* concatFollow(
  first: LogEntry[],
  path: string,
  offset: number,
  format: LogFileFormat,
  signal: AbortSignal | undefined,
  follow: { done: () => boolean | Promise<boolean>; pollMs?: number },
): AsyncIterable<LogEntry> {
  yield* first;
  for (;;) {
    if (signal?.aborted) return;
    const finished = await follow.done();
    const next = await readFrom(path, offset, format);
    offset = next.offset;
    yield* next.entries;
    if (finished) return;
    await new Promise<void>((resolve) => {
      // The listener goes with the poll it belongs to: a long follow must not pile one up per poll.
      const wake = () => { clearTimeout(t); signal?.removeEventListener('abort', wake); resolve(); };
      const t = setTimeout(wake, follow.pollMs ?? 50);
      signal?.addEventListener('abort', wake, { once: true });
    });
  }
}

/** Complete lines from `offset` on; the returned offset is just past the last complete line. */
async function readFrom(path: string, offset: number, format: LogFileFormat): Promise<{ entries: LogEntry[]; offset: number }> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return { entries: [], offset };
  }
  if (size < offset) offset = 0; // rotated (truncated or replaced): start over
  if (size === offset) return { entries: [], offset };
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(size - offset);
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    const text = buf.subarray(0, bytesRead);
    const last = text.lastIndexOf(10);
    if (last < 0) return { entries: [], offset };
    const entries = text.subarray(0, last).toString('utf8').split('\n').map(format.parse).filter((e): e is LogEntry => e !== undefined);
    if (format.sortByTime) entries.sort((x, y) => x.time - y.time);
    return { entries, offset: offset + last + 1 };
  } finally {
    await fh.close();
  }
}
