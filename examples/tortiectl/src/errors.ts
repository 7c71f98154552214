// The two kinds of failure a script can tell apart by exit code:
//   2  usage — the command line or a config file is wrong (nothing was done);
//   1  a failed operation — the store refused, a resource was invalid, …
/** A mistake in how tortiectl was called; exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** An operation that failed; exit code 1. */
export class CommandError extends Error {
  override readonly name = "CommandError";
  constructor(
    message: string,
    /** The output already said why: exit 1 without another line. */
    readonly quiet = false,
  ) {
    super(message);
  }
}
