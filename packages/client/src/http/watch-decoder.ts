import { internalError } from '@peapod/api-types';
import type { KubeObject, WatchEvent } from '../types.js';

/**
 * Decodes a watch stream: one JSON event per line, as the API server frames it, arriving in
 * chunks that may split a line (or a multi-byte character) anywhere. Blank lines are skipped.
 */
export class WatchDecoder {
  private readonly text = new TextDecoder('utf-8');
  private rest = '';

  /** Events completed by this chunk. */
  push(chunk: Uint8Array): WatchEvent<KubeObject>[] {
    const s = this.rest + this.text.decode(chunk, { stream: true });
    const lines = s.split('\n');
    this.rest = lines.pop()!;
    return lines.flatMap(parseLine);
  }

  /** Called at the end of the stream: a final unterminated event still counts. */
  end(): WatchEvent<KubeObject>[] {
    const last = this.rest + this.text.decode();
    this.rest = '';
    return parseLine(last);
  }
}

function parseLine(line: string): WatchEvent<KubeObject>[] {
  const t = line.trim();
  if (!t) return [];
  let ev: unknown;
  try {
    ev = JSON.parse(t);
  } catch (err) {
    throw internalError(new Error(`malformed watch event: ${t.slice(0, 200)}`, { cause: err }));
  }
  const e = ev as { type?: unknown; object?: unknown };
  if (typeof e?.type !== 'string' || typeof e.object !== 'object' || e.object === null) {
    throw internalError(new Error(`malformed watch event: ${t.slice(0, 200)}`));
  }
  return [e as WatchEvent<KubeObject>];
}
