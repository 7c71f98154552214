// Entering a network namespace from this process, for as long as a
// synchronous function runs: setns(2) through koffi (Node has no binding).
//
// Sockets keep the namespace they were created in, so a test can open a
// listening server or start a TCP connect inside a host and then use it from
// the test's own namespace. Only the calling thread changes namespace, and it
// is always switched back, even when the function throws. The function must
// do its work synchronously: child_process spawn/spawnSync and sockets made
// through libc (koffi) do; Node's net.connect() and server.listen(port, host)
// create their socket a tick later, back outside the namespace.
import { closeSync, openSync } from "node:fs";
import koffi from "koffi";

const CLONE_NEWNET = 0x40000000;

let setnsFn: ((fd: number, nstype: number) => number) | undefined;
function setns(fd: number): void {
  if (!setnsFn) {
    const libc = koffi.load("libc.so.6");
    setnsFn = libc.func("int setns(int fd, int nstype)") as (fd: number, nstype: number) => number;
  }
  if (setnsFn(fd, CLONE_NEWNET) !== 0) {
    throw new Error(`setns(${fd}) failed: errno ${koffi.errno()}`);
  }
}

/** Runs `fn` with this thread inside the network namespace at `nsPath`, then returns. */
export function inNetns<T>(nsPath: string, fn: () => T): T {
  const self = openSync(`/proc/self/task/${threadId()}/ns/net`, "r");
  const target = openSync(nsPath, "r");
  try {
    setns(target);
    try {
      const r = fn();
      if (r instanceof Promise) {
        throw new TypeError("inNetns: fn must be synchronous (sockets are created synchronously)");
      }
      return r;
    } finally {
      setns(self);
    }
  } finally {
    closeSync(target);
    closeSync(self);
  }
}

let gettid: (() => number) | undefined;
function threadId(): number {
  if (!gettid) {
    const libc = koffi.load("libc.so.6");
    gettid = libc.func("int gettid()") as () => number;
  }
  return gettid();
}
