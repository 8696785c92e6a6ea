import { silentLogger, type Logger } from '@peapod/core';
import { isTerminalError } from '../errors.js';
import type { WorkQueue } from './queue.js';

/** What a reconcile asks for besides "done": come back after a delay, or retry rate-limited. */
export type ReconcileResult = void | { requeueAfter?: number; requeue?: boolean };
export type Reconciler<K> = (key: K) => Promise<ReconcileResult> | ReconcileResult;

/**
 * Runs `n` workers on `queue` until it is shut down and drained (controller-runtime's semantics):
 * - success: the key's failure history is forgotten;
 * - `{ requeueAfter: ms }`: forgotten, then added again after `ms`;
 * - `{ requeue: true }` or a thrown error: added again with the rate limiter's backoff;
 * - a thrown `TerminalError`: logged and forgotten, not retried.
 * Resolves when every worker has stopped.
 */
export async function runWorkers<K>(queue: WorkQueue<K>, n: number, reconcile: Reconciler<K>, logger: Logger = silentLogger): Promise<void> {
  const worker = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        const result = await reconcile(key);
        if (result?.requeueAfter !== undefined && result.requeueAfter > 0) {
          queue.forget(key);
          queue.addAfter(key, result.requeueAfter);
        } else if (result?.requeue) {
          queue.addRateLimited(key);
        } else {
          queue.forget(key);
        }
      } catch (err) {
        if (isTerminalError(err)) {
          logger.error('reconcile failed terminally; not retrying', { key: String(key), err: err.message });
          queue.forget(key);
        } else {
          logger.warn('reconcile failed; retrying with backoff', { key: String(key), requeues: queue.numRequeues(key), err: String(err) });
          queue.addRateLimited(key);
        }
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, n) }, worker));
}
