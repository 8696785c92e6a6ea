import type { Pod } from '@peapod/api-types';
import type { WatchEvent } from './api.js';
import type { Observation } from './timeline.js';

/**
 * Every pod status seen since the page opened, from whichever view's watch saw it first, so a
 * pod view opened later still draws the transitions the cluster or Job view witnessed live.
 * Bounded: the oldest pods' histories are dropped past MAX_PODS, and a history keeps its first
 * observation plus the latest MAX_OBSERVATIONS - 1.
 */
const MAX_PODS = 1000;
const MAX_OBSERVATIONS = 500;
const histories = new Map<string, Observation[]>();

export function observePod(ev: WatchEvent<Pod>, at: number): void {
  const uid = ev.object.metadata.uid;
  if (!uid || ev.type === 'DELETED' || ev.type === 'BOOKMARK' || ev.type === 'ERROR') return;
  const h = histories.get(uid) ?? [];
  // Several watches deliver the same version; the first arrival is the most precise.
  if (h.some((o) => o.pod.metadata.resourceVersion === ev.object.metadata.resourceVersion)) return;
  h.push({ at, pod: ev.object });
  if (h.length > MAX_OBSERVATIONS) h.splice(1, 1);
  if (!histories.has(uid)) {
    histories.set(uid, h);
    if (histories.size > MAX_PODS) histories.delete(histories.keys().next().value!);
  }
}

export const historyOf = (uid: string): Observation[] => histories.get(uid) ?? [];
