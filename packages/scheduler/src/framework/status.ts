/**
 * The result of one plugin call, as kube-scheduler's framework.Status: a code, the reasons users
 * see in the aggregated "0/N nodes are available" message, and the plugin that produced it.
 */
export enum Code {
  Success = 'Success',
  /** An internal failure: the pod is retried with backoff. */
  Error = 'Error',
  /** The node does not fit now but could after a cluster change (preemption may help). */
  Unschedulable = 'Unschedulable',
  /** The node cannot fit whatever changes on other pods (preemption will not help). */
  UnschedulableAndUnresolvable = 'UnschedulableAndUnresolvable',
  /** Permit: hold the pod until allowed or timed out. */
  Wait = 'Wait',
  /** PreFilter/PreScore: this plugin has nothing to do for this pod; skip its Filter/Score. */
  Skip = 'Skip',
}

export class Status {
  constructor(
    readonly code: Code,
    readonly reasons: readonly string[] = [],
    public plugin = '',
  ) {}

  static success(): Status {
    return SUCCESS;
  }
  static unschedulable(...reasons: string[]): Status {
    return new Status(Code.Unschedulable, reasons);
  }
  static unresolvable(...reasons: string[]): Status {
    return new Status(Code.UnschedulableAndUnresolvable, reasons);
  }
  static error(err: unknown): Status {
    return new Status(Code.Error, [err instanceof Error ? err.message : String(err)]);
  }
  static skip(): Status {
    return SKIP;
  }

  get ok(): boolean {
    return this.code === Code.Success;
  }
  get rejected(): boolean {
    return this.code === Code.Unschedulable || this.code === Code.UnschedulableAndUnresolvable;
  }
  withPlugin(name: string): Status {
    return this.code === Code.Success || this.code === Code.Skip ? this : new Status(this.code, this.reasons, name);
  }
  message(): string {
    return this.reasons.join(', ');
  }
}

const SUCCESS = new Status(Code.Success);
const SKIP = new Status(Code.Skip);

/** A status or undefined (plugins may return nothing for success). */
export type MaybeStatus = Status | undefined | void;
export const asStatus = (s: MaybeStatus): Status => s ?? SUCCESS;
