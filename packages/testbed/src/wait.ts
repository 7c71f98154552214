// Polling until a condition holds, with a deadline and a useful message.

export interface WaitOptions {
  /** Give up after this many milliseconds (default 20 s). */
  readonly timeoutMs?: number;
  /** Poll every this many milliseconds (default 100). */
  readonly intervalMs?: number;
  /** What is being waited for, for the error message. */
  readonly what?: string;
}

/** Thrown when a wait times out; `last` holds the last value or error seen. */
export class WaitTimeoutError extends Error {
  override readonly name = "WaitTimeoutError";
  constructor(
    what: string,
    timeoutMs: number,
    readonly last: unknown,
  ) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${describe(last)}`);
  }
}

function describe(v: unknown): string {
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  try {
    const s = JSON.stringify(v);
    return s.length > 2000 ? `${s.slice(0, 2000)}…` : s;
  } catch {
    return String(v);
  }
}

/** `T` without its falsy members: what a successful {@link waitFor} returns. */
export type Truthy<T> = Exclude<T, null | undefined | false | 0 | "">;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Calls `probe` until it returns a truthy value, and returns that value.
 * A probe that throws counts as "not yet" (the error is kept for the message),
 * unless the error has `fatal: true`, which ends the wait at once.
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  opts: WaitOptions = {},
): Promise<Truthy<T>> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as Truthy<T>;
      last = v;
    } catch (e) {
      if ((e as { fatal?: unknown })?.fatal === true) throw e;
      last = e;
    }
    if (Date.now() >= deadline)
      throw new WaitTimeoutError(opts.what ?? "condition", timeoutMs, last);
    await sleep(opts.intervalMs ?? 100);
  }
}
