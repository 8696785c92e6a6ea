import { getEventListeners } from 'node:events';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CriLogWriter, MAX_LOG_LINE, filterLogEntries, formatCriTimestamp, parseCriLogLine, parseCriTimestamp, readCriLogFile, renderLogEntry } from './cri-log.js';
import { isRuntimeInvalid } from './errors.js';
import type { LogEntry } from './types.js';

describe('CRI log format', () => {
  it('formats RFC3339Nano timestamps with trimmed fractions and parses them back', () => {
    expect(formatCriTimestamp(Date.UTC(2025, 0, 2, 3, 4, 5))).toBe('2025-01-02T03:04:05Z');
    expect(formatCriTimestamp(Date.UTC(2025, 0, 2, 3, 4, 5, 120))).toBe('2025-01-02T03:04:05.12Z');
    expect(formatCriTimestamp(Date.UTC(2025, 0, 2, 3, 4, 5, 1) + 0.25)).toBe('2025-01-02T03:04:05.00125Z');
    expect(parseCriTimestamp('2025-01-02T03:04:05.0010005Z')).toBeCloseTo(Date.UTC(2025, 0, 2, 3, 4, 5, 1) + 0.0005, 6);
    expect(parseCriTimestamp('2025-01-02T04:04:05+01:00')).toBe(Date.UTC(2025, 0, 2, 3, 4, 5));
    expect(parseCriTimestamp('yesterday')).toBeNaN();
  });

  it('parses lines, keeping spaces in content, and refuses lines that are not CRI', () => {
    expect(parseCriLogLine('2025-01-02T03:04:05.5Z stderr P  two  spaces')).toMatchObject({ stream: 'stderr', tag: 'P', content: ' two  spaces', time: Date.UTC(2025, 0, 2, 3, 4, 5, 500) });
    expect(parseCriLogLine('2025-01-02T03:04:05Z stdout F')).toMatchObject({ content: '' });
    for (const bad of ['hello', '2025-01-02T03:04:05Z stdin F x', '2025-01-02T03:04:05Z stdout X x', 'now stdout F x']) {
      expect(() => parseCriLogLine(bad), bad).toThrow(expect.toSatisfy(isRuntimeInvalid));
    }
  });

  it('writes complete lines as F, splits long lines into P entries, and flushes an unterminated line at end', () => {
    const lines: string[] = [];
    const w = new CriLogWriter((_e, line) => lines.push(line), () => Date.UTC(2025, 0, 1));
    w.write('stdout', 'a\nb');
    w.write('stderr', 'err\n');
    w.write('stdout', 'c\n');
    w.write('stdout', 'y'.repeat(MAX_LOG_LINE * 2 + 1));
    w.end('stdout');
    w.end('stderr');
    const entries = lines.map((l) => parseCriLogLine(l.slice(0, -1)));
    expect(entries.map((e) => [e.stream, e.tag, e.content.length > 10 ? e.content.length : e.content])).toEqual([
      ['stdout', 'F', 'a'], ['stderr', 'F', 'err'], ['stdout', 'F', 'bc'],
      ['stdout', 'P', MAX_LOG_LINE], ['stdout', 'P', MAX_LOG_LINE], ['stdout', 'F', 'y'],
    ]);
    expect(lines[0]).toBe('2025-01-01T00:00:00Z stdout F a\n');
  });

  it('tails by lines, keeping the partial entries of a kept line', () => {
    const e = (content: string, tag: 'P' | 'F' = 'F', stream: 'stdout' | 'stderr' = 'stdout'): LogEntry => ({ timestamp: '', time: 0, stream, tag, content });
    const all = [e('1'), e('2a', 'P'), e('2b'), e('3', 'F', 'stderr'), e('4a', 'P')];
    const text = (x: LogEntry[]) => x.map((y) => renderLogEntry(y)).join('');
    expect(text(filterLogEntries(all, { tailLines: 2 }))).toBe('2a2b\n3\n4a');
    expect(text(filterLogEntries(all, { tailLines: 1, stream: 'stdout' }))).toBe('2a2b\n4a');
    expect(filterLogEntries(all, { tailLines: 0 })).toEqual([]);
    expect(text(filterLogEntries(all, { tailLines: 10 }))).toBe('1\n2a2b\n3\n4a');
  });

  it('follows a log file until the writer is done, yielding only complete lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peapod-crilog-'));
    try {
      const path = join(dir, '0.log');
      await writeFile(path, '2025-01-01T00:00:00Z stdout F first\n2025-01-01T00:00:01Z stdout F sec');
      let done = false;
      const got: string[] = [];
      const reading = (async () => {
        for await (const e of readCriLogFile(path, { follow: true }, { done: () => done, pollMs: 5 })) got.push(e.content);
      })();
      await new Promise((r) => setTimeout(r, 30));
      expect(got).toEqual(['first']);
      await appendFile(path, 'ond\n2025-01-01T00:00:02Z stderr F third\n');
      done = true;
      await reading;
      expect(got).toEqual(['first', 'second', 'third']);
      const tail = [];
      for await (const e of readCriLogFile(path, { tailLines: 1 })) tail.push(e.content);
      expect(tail).toEqual(['third']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps no abort listener per poll while following, and ends when the signal aborts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peapod-crilog-'));
    try {
      const path = join(dir, '0.log');
      await writeFile(path, '2025-01-01T00:00:00Z stdout F first\n');
      const ac = new AbortController();
      const reading = (async () => {
        for await (const _ of readCriLogFile(path, { follow: true, signal: ac.signal }, { done: () => false, pollMs: 1 })) { /* drain */ }
      })();
      await new Promise((r) => setTimeout(r, 60)); // dozens of polls
      expect(getEventListeners(ac.signal, 'abort').length).toBeLessThanOrEqual(1);
      ac.abort();
      await reading;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
