import { MAX_NODE_SCORE } from '../framework/interfaces.js';

/** Scales scores so the highest becomes 100 (reversed: the lowest becomes 100), as Kubernetes' DefaultNormalizeScore. */
export function defaultNormalizeScore(scores: { score: number }[], reverse: boolean): void {
  const max = scores.reduce((m, s) => Math.max(m, s.score), 0);
  for (const s of scores) {
    if (max === 0) s.score = reverse ? MAX_NODE_SCORE : 0;
    else {
      const v = Math.floor((s.score * MAX_NODE_SCORE) / max);
      s.score = reverse ? MAX_NODE_SCORE - v : v;
    }
  }
}
