// Serialising the calls for one attachment (container id + interface) across
// every process that runs the plugin on a host — the resident helper and
// plugins run in Node when no helper answers — with flock(2) through koffi:
// the kernel drops a lock when its holder dies, so a killed call never
// leaves one behind.
//
//   <dataDir>/.locks/<network>/<containerId>_<ifname>.op   exclusive: the call running
//   <dataDir>/.locks/<network>/<containerId>_<ifname>.del  shared by every DEL waiting
//   <dataDir>/.locks/<network>/<containerId>_<ifname>.gone when the last DEL began (ms)
//
// "DEL wins": a DEL takes `.del` shared before it queues on `.op`. An ADD
// that holds `.op` asks whether anyone holds `.del` (a non-blocking
// exclusive try) before it starts and again before it reports success; if
// a DEL is waiting, the ADD undoes its work and fails, and the DEL finds
// nothing left to remove. An ADD invoked before a DEL began gives way too,
// even if it reaches the lock only after that DEL finished (`.gone`: the
// runtime sent both, so it believes the attachment deleted). A DEL that
// finished removes `.op` and `.del` when no
// other DEL waits; every holder re-checks after locking that its file is
// still the one at the path (an unlinked file locks nothing).
//
// flock(2) blocks; the helper must not, so waits are non-blocking tries
// every few milliseconds.

import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { loadLibc } from "@tortie/netlink";
import type koffi from "koffi";

const LOCK_SH = 1;
const LOCK_EX = 2;
const LOCK_NB = 4;

let flockFn: ((fd: number, op: number) => number) | undefined;
const flock = (fd: number, op: number): boolean => {
  // The C library as @tortie/netlink finds it (glibc or musl; one clear error when neither).
  flockFn ??= loadLibc<ReturnType<typeof koffi.load>>().func("int flock(int, int)") as unknown as (
    fd: number,
    op: number,
  ) => number;
  return flockFn(fd, op) === 0;
};

/** A held attachment lock. */
export interface AttachmentLock {
  /** Whether a DEL of the same attachment is waiting (an ADD then gives way). */
  delWaiting(): boolean;
  /** Whether a DEL of the attachment began at or after `t` (epoch ms). */
  deletedSince(t: number): boolean;
  /** Releases the lock (a DEL also removes the lock files when it can). */
  release(): void;
}

/** Takes attachment locks. */
export interface AttachmentLocks {
  lock(
    network: string,
    containerId: string,
    ifname: string,
    kind: "add" | "del" | "other",
  ): Promise<AttachmentLock>;
}

/** How long a DEL's mark is kept: longer than any runtime's timeout for an ADD. */
const GONE_KEEP_MS = 3_600_000;
const swept = new Map<string, number>();
/** Lock folders this process has made (a folder removed under it is made again on ENOENT). */
const made = new Set<string>();

/** Removes marks of DELs older than {@link GONE_KEEP_MS} (at most once a minute per folder). */
function sweepGone(dir: string): void {
  const now = Date.now();
  if ((swept.get(dir) ?? 0) > now - 60_000) return;
  swept.set(dir, now);
  for (const n of readdirSync(dir)) {
    if (!n.endsWith(".gone")) continue;
    try {
      if (statSync(join(dir, n)).mtimeMs < now - GONE_KEEP_MS) unlinkSync(join(dir, n));
    } catch {
      // gone already
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether `fd` is still the file at `path`. */
function current(fd: number, path: string): boolean {
  try {
    return statSync(path).ino === fstatSync(fd).ino;
  } catch {
    return false;
  }
}

/** Opens `path` and locks it with `op` (waiting), re-opening while the file is replaced. */
async function take(path: string, op: number): Promise<number> {
  for (let wait = 1; ; ) {
    let fd: number;
    try {
      fd = openSync(path, "a", 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      fd = openSync(path, "a", 0o600);
    }
    while (!flock(fd, op | LOCK_NB)) {
      await sleep(wait);
      wait = Math.min(wait * 2, 8);
    }
    if (current(fd, path)) return fd;
    closeSync(fd);
  }
}

/** Locks under `<dataDir>/.locks/<network>/` (beside the records, apart from them). */
export class FileAttachmentLocks implements AttachmentLocks {
  constructor(readonly dataDir: string) {}

  async lock(
    network: string,
    containerId: string,
    ifname: string,
    kind: "add" | "del" | "other",
  ): Promise<AttachmentLock> {
    const dir = join(this.dataDir, ".locks", network);
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      made.add(dir);
    }
    const base = join(dir, `${containerId}_${ifname}`);
    const delPath = `${base}.del`;
    const gonePath = `${base}.gone`;
    if (kind === "del") {
      writeFileSync(`${gonePath}.${process.pid}`, String(Date.now()));
      renameSync(`${gonePath}.${process.pid}`, gonePath);
      sweepGone(dir);
    }
    const delFd = kind === "del" ? await take(delPath, LOCK_SH) : undefined;
    const opFd = await take(`${base}.op`, LOCK_EX);
    let released = false;
    return {
      delWaiting() {
        // no file: no DEL has come (a DEL creates it before it waits)
        if (!statSync(delPath, { throwIfNoEntry: false })) return false;
        let fd: number;
        try {
          fd = openSync(delPath, "r");
        } catch {
          return false;
        }
        try {
          // our own DEL's shared lock is another open file: it counts, so ask only in ADD
          if (!flock(fd, LOCK_EX | LOCK_NB)) return true;
          return false;
        } finally {
          closeSync(fd); // closing drops the trial lock
        }
      },
      deletedSince(t: number) {
        if (!statSync(gonePath, { throwIfNoEntry: false })) return false;
        try {
          return Number(readFileSync(gonePath, "latin1")) >= Math.floor(t);
        } catch {
          return false;
        }
      },
      release() {
        if (released) return;
        released = true;
        if (delFd !== undefined) {
          // the last DEL out removes the files (others would see them replaced and re-open)
          if (flock(delFd, LOCK_EX | LOCK_NB) && current(delFd, delPath)) {
            try {
              unlinkSync(`${base}.op`);
              unlinkSync(delPath);
            } catch {
              // already gone
            }
          }
          closeSync(delFd);
        }
        closeSync(opFd);
      },
    };
  }
}
