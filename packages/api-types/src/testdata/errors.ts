import type { StatusError } from '../errors.js';

/** The StatusError `fn` throws; fails the test when it throws nothing. */
export function rejection(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (err) {
    return err as StatusError;
  }
  throw new Error('expected an error, none was thrown');
}
