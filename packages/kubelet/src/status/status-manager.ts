import { isDeepStrictEqual } from 'node:util';
import { isNotFound, type Pod, type PodStatus } from '@peapod/api-types';
import type { Clock, Logger } from '@peapod/core';
import type { PodDeleter, PodStatusWriter } from '../api-client.js';
import { isTerminalPhase, podKey } from '../pod-util.js';

const RETRY_MS = 1000;

interface Entry {
  /** Where the status goes: the pod itself, or the mirror pod of a static pod (none yet: kept, not written). */
  target?: Pod;
  status: PodStatus;
  /** The last status the API accepted (statuses are replaced, never changed in place). */
  written?: PodStatus;
  /** The `written` that `status` was found to differ from when it was set: the drain need not compare them again. */
  differsFrom?: PodStatus;
  writing?: Promise<void>;
  dirty: boolean;
  /** Delete the API pod (grace 0) once a terminal status is written: every container has stopped. */
  deleteWhenWritten: boolean;
}

/**
 * The kubelet's status manager: keeps the latest status of every pod and writes it through the
 * `status` subresource whenever it changes — one write at a time per pod, later changes coalesced
 * into the next write, failures retried on the clock. A pod that is gone from the API is dropped.
 * It also finishes a graceful deletion: once the pod's containers have stopped and a terminal
 * status is written, the pod is deleted with grace 0.
 */
export class StatusManager {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly writer: PodStatusWriter,
    private readonly deleter: PodDeleter,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  getPodStatus(uid: string): PodStatus | undefined {
    return this.entries.get(uid)?.status;
  }

  /** Records `status` for the pod `uid`, to be written to `target`. */
  setPodStatus(uid: string, target: Pod | undefined, status: PodStatus): void {
    let e = this.entries.get(uid);
    if (!e) this.entries.set(uid, (e = { target, status, dirty: false, deleteWhenWritten: false }));
    e.target = target;
    // A sync that recomputes the written status keeps the written object: one copy per pod, not two.
    if (!e.deleteWhenWritten && isDeepStrictEqual(status, e.written)) {
      e.status = e.written!;
      return;
    }
    e.status = status;
    e.differsFrom = e.deleteWhenWritten ? undefined : e.written;
    e.dirty = true;
    this.kick(uid, e);
  }

  /** The pod's containers are all stopped: once its terminal status is written, delete it from the API. */
  finishDeletion(uid: string): void {
    const e = this.entries.get(uid);
    if (!e?.target?.metadata.deletionTimestamp) return;
    e.deleteWhenWritten = true;
    e.dirty = true;
    this.kick(uid, e);
  }

  removePod(uid: string): void {
    this.entries.delete(uid);
  }

  /** Resolves when no write is in flight or pending (tests, benchmarks, shutdown). */
  async flush(): Promise<void> {
    for (;;) {
      const busy = [...this.entries.values()].map((e) => e.writing).filter((w): w is Promise<void> => !!w);
      if (!busy.length) return;
      await Promise.all(busy);
    }
  }

  /**
   * Starts a write after the current turn of the event loop, so the statuses a sync computes in
   * one go (Pending, then Running a moment later) become one write instead of several.
   */
  private kick(uid: string, e: Entry): void {
    if (e.writing || !e.target) return;
    e.writing = new Promise<void>((r) => setImmediate(r))
      .then(() => this.drain(uid, e))
      .finally(() => {
        e.writing = undefined;
      });
  }

  private async drain(uid: string, e: Entry): Promise<void> {
    while (e.dirty && e.target && this.entries.get(uid) === e) {
      e.dirty = false;
      const { status, target } = e;
      try {
        // Compared again only when a write landed since the status was set (it may have written the same).
        if (status !== e.written && (e.differsFrom === e.written || !isDeepStrictEqual(status, e.written))) {
          await this.writer.writePodStatus(target, status);
          e.written = status;
        }
        if (e.deleteWhenWritten && isTerminalPhase(status.phase)) {
          await this.deleter.deletePod(target);
          this.entries.delete(uid);
        }
      } catch (err) {
        if (isNotFound(err)) {
          this.entries.delete(uid);
          return;
        }
        this.logger.warn('pod status write failed; retrying', { pod: podKey(target), error: String(err) });
        this.clock.setTimeout(() => {
          e.dirty = true;
          this.kick(uid, e);
        }, RETRY_MS);
        return;
      }
    }
  }
}
