// Typed errors of the client: a request the kernel refused (with the errno's
// name and the kernel's extended-ACK text), and a transport that failed
// (socket calls, lost messages). Decode and input errors live in wire/errors.ts.
import { constants } from "node:os";

const ERRNO_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(constants.errno).map(([name, n]) => [n, name] as const),
);

/** The symbolic name of an errno value ("EEXIST"), or "E<n>" when unknown. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `E${errno}`;
}

/** The kernel refused a request: it answered NLMSG_ERROR with a negative errno. */
export class NetlinkError extends Error {
  /** "NetlinkError". */
  override readonly name = "NetlinkError";
  /** The errno's name: "EEXIST", "ENOENT", "ESRCH", "ENETUNREACH", "EBUSY", "ENODEV", … */
  readonly code: string;
  constructor(
    /** What was being done, as the `ip` command that does the same. */
    readonly operation: string,
    /** Positive errno value. */
    readonly errno: number,
    /** The kernel's own explanation (extended ACK), when it gave one. */
    readonly kernelMessage?: string,
  ) {
    const code = errnoName(errno);
    super(`${operation}: ${code}${kernelMessage ? ` (${kernelMessage})` : ""}`);
    this.code = code;
  }
}

/** A system call of the transport failed (not a refusal by rtnetlink). */
export class NetlinkSocketError extends Error {
  /** "NetlinkSocketError". */
  override readonly name = "NetlinkSocketError";
  /** The errno's name. */
  readonly code: string;
  constructor(
    /** The system call, e.g. "recv" or "setns". */
    readonly syscall: string,
    /** Positive errno value. */
    readonly errno: number,
    detail = "",
  ) {
    const code = errnoName(errno);
    super(`${syscall} failed: ${code}${detail ? ` (${detail})` : ""}`);
    this.code = code;
  }
}
