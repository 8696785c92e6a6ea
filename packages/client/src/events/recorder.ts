import { RESOURCES, isNotFound, type Event } from '@peapod/api-types';
import type { Clock, Logger } from '@peapod/core';
import type { KubeClient, KubeObject, ResourceClient } from '../types.js';

export type EventType = 'Normal' | 'Warning';

/** client-go's EventCorrelator defaults (tools/record/events_cache.go) and its broadcaster's queue (event.go). */
const CACHE_ENTRIES = 4096;
/** Similar events (same object, type and reason; other messages) within 10 minutes are aggregated from the 10th on. */
const AGGREGATE_MAX_EVENTS = 10;
const AGGREGATE_INTERVAL_MS = 10 * 60_000;
const AGGREGATE_PREFIX = '(combined from similar events): ';
/** Per source and object: a burst of 25 events, then one per 5 minutes. */
const SPAM_BURST = 25;
const SPAM_REFILL_MS = 5 * 60_000;
/** Events waiting to be written; beyond this one is dropped, as the broadcaster's full channel drops it. */
const MAX_QUEUED = 1000;

/**
 * Makes the names of Events first written in the same millisecond differ (client-go names them by
 * the nanosecond). One counter for every recorder of the process: the scheduler's and a kubelet's
 * recorder both name Events after the same pod, and a counter each let them pick the same name.
 */
let sequence = 0;

export interface EventRecorderOptions {
  /** `source.component` and `reportingComponent`, e.g. `kubelet` or `default-scheduler`. */
  component: string;
  /** `source.host` and `reportingInstance`: the node name of a kubelet's events. */
  host?: string;
  logger?: Logger;
}

/**
 * A bounded map evicting the least recently written entry. Every read of the recorder is followed
 * by a write of the same key, so reads need not refresh: the write does (one Map update, not two).
 *
 * The oldest entry comes from one long-lived iterator rather than a fresh `keys()` per eviction:
 * a Map keeps deleted entries as holes until it rehashes, and a fresh iterator walks every hole
 * at the front (thousands, once full), while this one has passed them. Everything before its
 * position has been evicted or moved to the end, so its next key is always the oldest.
 */
class Lru<V> {
  private readonly map = new Map<string, V>();
  private oldest = this.map.keys();
  get(key: string): V | undefined {
    return this.map.get(key);
  }
  set(key: string, v: V): void {
    if (!this.map.delete(key) && this.map.size >= CACHE_ENTRIES) {
      let next = this.oldest.next();
      if (next.done) next = (this.oldest = this.map.keys()).next();
      this.map.delete(next.value!);
    }
    this.map.set(key, v);
  }
}

/** `toISOString` of the last millisecond asked for: a burst of events shares its timestamps. */
let lastMs = NaN;
let lastIso = '';
const isoOf = (ms: number) => (ms === lastMs ? lastIso : (lastIso = new Date((lastMs = ms)).toISOString()));

/** What the recorder last wrote under an event key: later repeats patch this Event. */
interface Logged {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
}

/**
 * Records core/v1 Events about objects as client-go's EventRecorder with its EventCorrelator:
 * - fire-and-forget: a failed write is logged, never thrown into the caller's control flow; at
 *   most 1,000 events wait to be written, further ones are dropped (the broadcaster's queue);
 * - a repeat of an event (same object, type, reason and message) patches `count`,
 *   `lastTimestamp` and `message` of the Event first written for it, for as long as the recorder
 *   remembers it (an LRU of 4,096 keys); if that Event expired meanwhile, it is created again;
 * - similar events (same object, type and reason, other messages) are aggregated: from the 10th
 *   distinct message within 10 minutes of the previous one, they all go to one Event whose
 *   message is `(combined from similar events): <latest message>`;
 * - a spam filter: per object, a burst of 25 writes then one per 5 minutes; repeats dropped by it
 *   still count, so the next write carries the true count.
 * Writes about one Event are ordered (a repeat's patch never overtakes the create it patches).
 */
export class EventRecorder {
  private readonly logged = new Lru<Logged>();
  private readonly similar = new Lru<{ messages: Set<string>; at: number }>();
  private readonly spam = new Lru<{ tokens: number; at: number }>();
  /** The last write of each Event still being written, by Event key. */
  private readonly writing = new Map<string, Promise<void>>();
  private queued = 0;
  private readonly component: string;
  private readonly host: string;
  private readonly logger?: Logger;
  private readonly events: ResourceClient<Event>;
  /** The source of every Event (shared: writes copy or serialize it). */
  private readonly source: Event['source'];

  constructor(client: KubeClient, private readonly clock: Clock, options: EventRecorderOptions) {
    this.component = options.component;
    this.host = options.host ?? '';
    this.logger = options.logger;
    this.events = client.resource(RESOURCES.events);
    this.source = { component: this.component, ...(this.host ? { host: this.host } : {}) };
  }

  /** Records the event; the returned promise settles once it is written, dropped or filtered (tests may await it). */
  event(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const { namespace, name, uid } = obj.metadata;
    const ns = namespace || 'default';
    const now = this.clock.now();
    // One flat string per key: keys outlive the call (a node's recorder keeps some per pod event).
    // client-go's keys start with the source; every key of this recorder's caches shares it, so it is left out.
    const objectKey = `${obj.kind}\u0000${namespace ?? ''}\u0000${name}\u0000${uid ?? ''}\u0000${obj.apiVersion}`;
    const similarKey = `${objectKey}\u0000${type}\u0000${reason}`;
    let group = this.similar.get(similarKey);
    if (!group || now - group.at > AGGREGATE_INTERVAL_MS) group = { messages: new Set() as Set<string>, at: now };
    group.messages.add(message);
    group.at = now;
    this.similar.set(similarKey, group);
    let key = `${similarKey}\u0000${message}`;
    let text = message;
    if (group.messages.size >= AGGREGATE_MAX_EVENTS) {
      group.messages.delete(group.messages.values().next().value!);
      key = similarKey;
      text = AGGREGATE_PREFIX + message;
    }
    const nowIso = isoOf(now);
    const prev = this.logged.get(key);
    const logged: Logged = prev
      ? { ...prev, count: prev.count + 1 }
      : { name: `${name}.${(now * 1000 + (sequence++ % 1000)).toString(16)}`, namespace: ns, count: 1, firstTimestamp: nowIso };
    this.logged.set(key, logged);
    if (this.filtered(objectKey, now)) return Promise.resolve();
    if (this.queued >= MAX_QUEUED) {
      this.logger?.warn('event queue full: dropping event', { reason, object: `${ns}/${name}` });
      return Promise.resolve();
    }
    const events = this.events;
    const create = () => {
      const ev: Event = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: logged.name, namespace: logged.namespace },
        involvedObject: { apiVersion: obj.apiVersion, kind: obj.kind, name, namespace, uid, resourceVersion: obj.metadata.resourceVersion },
        reason,
        message: text,
        type,
        count: logged.count,
        firstTimestamp: logged.firstTimestamp,
        lastTimestamp: nowIso,
        source: this.source,
        reportingComponent: this.component,
        reportingInstance: this.host,
      };
      return events.create(ev, { namespace: logged.namespace });
    };
    const write = async () => {
      if (!prev) return void await create();
      try {
        await events.patch(logged.name, 'merge', { count: logged.count, lastTimestamp: nowIso, message: text }, { namespace: logged.namespace });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await create();
      }
    };
    this.queued++;
    const before = this.writing.get(key);
    const done = (before ? before.then(write) : write())
      .catch((err) => this.logger?.warn('cannot record event', { reason, object: `${ns}/${name}`, err: String(err) }))
      .finally(() => {
        this.queued--;
        if (this.writing.get(key) === done) this.writing.delete(key);
      });
    this.writing.set(key, done);
    return done;
  }

  /** The spam filter's token bucket for one source and object: true when this event must not be written. */
  private filtered(objectKey: string, now: number): boolean {
    const b = this.spam.get(objectKey) ?? { tokens: SPAM_BURST, at: now };
    b.tokens = Math.min(SPAM_BURST, b.tokens + (now - b.at) / SPAM_REFILL_MS);
    b.at = now;
    this.spam.set(objectKey, b);
    if (b.tokens < 1) return true;
    b.tokens--;
    return false;
  }
}
