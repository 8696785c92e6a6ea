import { inRange, type KVEvent, type KVWatch, type WatchSink } from './kv.js';

interface Subscriber {
  start: string;
  end: string;
  sink: WatchSink;
}

/**
 * Live-event fan-out for backends that commit in this process (memory, sqlite). Commits publish
 * synchronously, so a watcher subscribed in the same tick as its history replay sees no gap, and
 * once `publish` returns every subscriber has everything up to the store's revision.
 */
export class LocalHub {
  private readonly subs = new Set<Subscriber>();

  constructor(private readonly revision: () => number) {}

  /** Subscribes after `replay` has been delivered (both synchronously, so nothing falls between). */
  subscribe(start: string, end: string, sink: WatchSink, replay: readonly KVEvent[]): KVWatch {
    const sub: Subscriber = { start, end, sink };
    if (replay.length) sink.events(replay);
    this.subs.add(sub);
    return { stop: () => this.subs.delete(sub), progress: this.revision };
  }

  publish(events: readonly KVEvent[]): void {
    for (const sub of this.subs) {
      const mine = events.length === 1
        ? (inRange(events[0]!.key, sub.start, sub.end) ? events : undefined)
        : events.filter((e) => inRange(e.key, sub.start, sub.end));
      if (mine?.length) sub.sink.events(mine);
    }
  }

  /** Ends every watch with `err` (the store closed). */
  fail(err: unknown): void {
    for (const sub of this.subs) sub.sink.error(err);
    this.subs.clear();
  }
}
