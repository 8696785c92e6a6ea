/**
 * An error a user can act on: printed as one line (`peapod: <message>`), exit code 1, no stack.
 * Anything else reaching the top level is a bug and is printed with its stack.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}
export const isCliError = (err: unknown): err is CliError => err instanceof CliError;
