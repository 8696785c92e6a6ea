import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, rmSync, watch, writeFileSync, writeSync, type FSWatcher } from 'node:fs';
import { dirname, join } from 'node:path';
import { CriLogWriter, type LogEntry, type LogStream } from '@peapod/runtime';

/**
 * Turns a container's raw output into its CRI log file.
 *
 * The container writes stdout and stderr straight into two append-only files in its state
 * directory (not into pipes held by this process), so its output neither blocks nor breaks while
 * no runtime instance runs (a kubelet restart). An instance watches the directory, copies new
 * bytes into the CRI log as entries, and records how far it got in `log-state.json`, so the next
 * instance continues where this one stopped (lines are at-least-once across a crash: entries of
 * the last second before a crash may be written again). When the container has exited the rest is
 * drained, the last unterminated line flushed, and the raw files removed.
 */
interface LogState {
  stdout: number;
  stderr: number;
  done: boolean;
}

const STREAMS: readonly LogStream[] = ['stdout', 'stderr'];
const CHUNK = 64 * 1024;

export class ContainerLog {
  private state: LogState;
  private readonly writer: CriLogWriter;
  private fd: number | undefined;
  private watcher: FSWatcher | undefined;
  private readonly listeners = new Set<(e: LogEntry) => void>();
  private savedAt = 0;

  /**
   * @param dir the container's state directory (raw files and progress live there)
   * @param logPath absolute path of the CRI log file
   */
  constructor(
    private readonly dir: string,
    private readonly logPath: string,
    now: () => number,
  ) {
    const saved = join(dir, 'log-state.json');
    this.state = existsSync(saved) ? (JSON.parse(readFileSync(saved, 'utf8')) as LogState) : { stdout: 0, stderr: 0, done: false };
    this.writer = new CriLogWriter((entry, line) => {
      writeSync(this.fd ?? this.openLog(), line);
      for (const l of this.listeners) l(entry);
    }, now);
  }

  /** Raw file a stream is written to; the container's stdio is opened on it in append mode. */
  rawPath(stream: LogStream): string {
    return join(this.dir, stream);
  }

  get done(): boolean {
    return this.state.done;
  }

  /** Starts copying output as it arrives. */
  watch(): void {
    if (this.state.done || this.watcher) return;
    // draining only the stream an event names keeps stdout/stderr interleaving as written, as far as events tell it
    this.watcher = watch(this.dir, (_event, file) => (file === 'stdout' || file === 'stderr' ? this.drain(file) : undefined));
    this.watcher.unref();
    this.drain();
  }

  /** Live entries from now on (attach). Returns the unsubscribe function. */
  subscribe(fn: (e: LogEntry) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Copies every complete line written so far (to one stream, or both) into the CRI log. */
  drain(only?: LogStream): void {
    if (this.state.done) return;
    let moved = false;
    for (const stream of only ? [only] : STREAMS) {
      let fd: number;
      try {
        fd = openSync(this.rawPath(stream), 'r');
      } catch {
        continue;
      }
      try {
        const size = fstatSync(fd).size;
        const buf = Buffer.alloc(CHUNK);
        let at = this.state[stream] + this.writer.buffered(stream);
        while (at < size) {
          const n = readSync(fd, buf, 0, Math.min(CHUNK, size - at), at);
          if (n <= 0) break;
          this.writer.write(stream, buf.subarray(0, n));
          at += n;
          moved = true;
        }
        this.state[stream] = at - this.writer.buffered(stream);
      } finally {
        closeSync(fd);
      }
    }
    // progress is saved at most once a second while running (and always on close and finish): a crash
    // can only repeat the lines of the last second
    if (moved && Date.now() - this.savedAt >= 1000) this.save();
  }

  /** The container exited: drains the rest, flushes unterminated lines, removes the raw files. */
  finish(): void {
    if (this.state.done) return;
    this.drain();
    for (const s of STREAMS) this.writer.end(s);
    this.state.done = true;
    this.save();
    this.close();
    for (const s of STREAMS) rmSync(this.rawPath(s), { force: true });
  }

  /** After the kubelet rotated the log file: later entries go to a new file at the same path. */
  reopen(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Stops watching and releases the log file; the container's output keeps accumulating in the raw files. */
  close(): void {
    if (this.watcher) this.save();
    this.watcher?.close();
    this.watcher = undefined;
    this.listeners.clear();
    this.reopen();
  }

  private openLog(): number {
    mkdirSync(dirname(this.logPath), { recursive: true });
    this.fd = openSync(this.logPath, 'a');
    return this.fd;
  }

  private save(): void {
    this.savedAt = Date.now();
    writeFileSync(join(this.dir, 'log-state.json'), JSON.stringify(this.state));
  }
}
