/**
 * Composition errors are bugs in how an app wires its modules, never bad user input; they are a
 * class apart from the Kubernetes API errors in `@peapod/api-types`.
 */
export class CompositionError extends Error {
  override readonly name: string = 'CompositionError';
}

/** A token, module or registry name was registered twice. */
export class DuplicateRegistrationError extends CompositionError {
  override readonly name = 'DuplicateRegistrationError';
}

/** A token or registry name was asked for but never registered. */
export class NotRegisteredError extends CompositionError {
  override readonly name = 'NotRegisteredError';
}

export const isDuplicateRegistration = (err: unknown): err is DuplicateRegistrationError => err instanceof DuplicateRegistrationError;
export const isNotRegistered = (err: unknown): err is NotRegisteredError => err instanceof NotRegisteredError;
