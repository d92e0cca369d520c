/** Errors that end a command with one clear line and a chosen exit code. */

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  interrupted: 130,
} as const;

/** A problem the user can fix: printed as one line (`what; how to fix`), no stack trace. */
export class UserError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.failure) {
    super(message);
    this.name = "UserError";
  }
}
