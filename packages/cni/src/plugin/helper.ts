// The resident helper: one warm Node process per node network namespace
// that serves plugin calls handed over by the `tortie` shim (protocol in
// helper-protocol.ts), so a call costs a bash start and a loopback round
// trip instead of a Node start. It listens on 127.0.0.1 in
// its network namespace and keeps its identity in a folder of its own:
//
//   <runDir>/                 0700 root (checked: owner, mode, not a link)
//     net-<inode>/            one per network namespace (inode of /proc/self/ns/net)
//       secret  0600          random: the shim sends it, after checking who listens
//       pid                   "<pid> <listening fd> <start time> <its inode> <port>":
//                             the shim finds its folder with
//                             [ /proc/self/ns/net -ef /proc/<pid>/ns/net ], and after
//                             connecting checks /proc/<pid>/fdinfo/<fd> still shows
//                             that inode (the listener still holds the port)
//
// Abuse it resists: nothing is read past a 256-byte hello before the client
// gave the secret; the body is capped (1 MiB) and read into one buffer of
// its declared size; each connection has deadlines (3 s to authenticate,
// 5 s for the body); at most 64 connections wait unauthenticated (then one
// not owned by root is dropped: /proc/net/tcp names each peer's uid, so an
// unprivileged flood never pushes out a shim); only authenticated calls keep
// it from idling.
// A client from another build gets "V" — and when this helper's own bundle
// file changed on disk since it started (an upgrade), it stops listening
// and exits after its calls, so the next call starts the new build's helper.
// A call whose client goes away (the runtime killed the plugin) is told so
// through its AbortSignal: an ADD undoes its work. It removes only files
// that are still its own, and puts them back if they go missing.

import { randomBytes, timingSafeEqual } from "node:crypto";
import {
  chmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { setPriority } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { skel } from "../skel/skel.js";
import { CniError, ErrorCode } from "../spec/errors.js";
import { ACCEPTED, decodeBody, decodeHello, encodeResponse, MAX_HELLO } from "./helper-protocol.js";
import { defaultDeps, logFailure } from "./main.js";
import { createTortiePlugin } from "./plugin.js";

declare const __TORTIE_BUILD__: string | undefined;

/** This build's id (set by the bundler; "dev" when run from sources). */
export const BUILD_ID: string = typeof __TORTIE_BUILD__ === "string" ? __TORTIE_BUILD__ : "dev";

/**
 * The helper's default port: below 1024, so that only root (or a holder of
 * CAP_NET_BIND_SERVICE) can listen on it. That is not authentication — the
 * handshake is — but it keeps unprivileged users off it.
 */
export const DEFAULT_HELPER_PORT = 927;

/** The helper's default run folder. */
export const DEFAULT_RUN_DIR = "/run/tortie/cni";

/** Where the helper listens and keeps its files, and its limits. */
export interface HelperOptions {
  /** Folder of the scope folders (default $TORTIE_CNI_RUN_DIR or {@link DEFAULT_RUN_DIR}). */
  readonly runDir?: string;
  /** Loopback TCP port (default $TORTIE_CNI_HELPER_PORT or {@link DEFAULT_HELPER_PORT}). */
  readonly port?: number;
  /** Exit after this long without an authenticated call, ms (default 10 minutes). */
  readonly idleMs?: number;
  /** Build id (default {@link BUILD_ID}). */
  readonly build?: string;
  /** Time to send the hello line, ms (default 3000). */
  readonly authMs?: number;
  /** Time to send the body after the hello, ms (default 5000). */
  readonly bodyMs?: number;
  /** Connections allowed to wait unauthenticated (default 64). */
  readonly maxPending?: number;
}

/** The helper's settings from the environment. */
export function helperSettings(env: NodeJS.ProcessEnv = process.env): Required<HelperOptions> {
  return {
    runDir: env.TORTIE_CNI_RUN_DIR || DEFAULT_RUN_DIR,
    port: Number(env.TORTIE_CNI_HELPER_PORT || DEFAULT_HELPER_PORT),
    idleMs: Number(env.TORTIE_CNI_HELPER_IDLE_MS || 600_000),
    build: BUILD_ID,
    authMs: 3000,
    bodyMs: 5000,
    maxPending: 64,
  };
}

/** This network namespace's scope name: "net-<inode of /proc/self/ns/net>". */
export function netnsScope(): string {
  return `net-${statSync("/proc/self/ns/net").ino}`;
}

/**
 * Creates `dir` (0700) or checks it: a directory, not a link, owned by this
 * user, writable by no one else. Throws otherwise (someone else's folder).
 */
export function ownedDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  const uid = process.getuid?.() ?? 0;
  if (!st.isDirectory() || st.uid !== uid)
    throw new Error(`${dir} is not a directory owned by uid ${uid}`);
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

function writeAtomic(file: string, text: string): number {
  writeFileSync(`${file}.${process.pid}.tmp`, text, { mode: 0o600 });
  renameSync(`${file}.${process.pid}.tmp`, file);
  return statSync(file).ino;
}

type Deps = ReturnType<typeof defaultDeps>;

/** The helper's server. */
class Helper {
  private readonly secret = randomBytes(32).toString("hex");
  private readonly pending = new Set<Socket>();
  private idle: ReturnType<typeof setTimeout> | undefined;
  private watch: ReturnType<typeof setInterval> | undefined;
  private files: { secret: number; pid: number } | undefined;
  private stopping = false;
  private readonly self = bundleIdentity();
  readonly scope = netnsScope();
  readonly dir: string;
  readonly server: Server;
  readonly done: Promise<void>;
  private finish: () => void = () => undefined;

  constructor(
    private readonly s: Required<HelperOptions>,
    private readonly deps: Deps,
  ) {
    this.dir = join(s.runDir, this.scope);
    this.server = createServer((sock) => this.accept(sock));
    this.done = new Promise((r) => {
      this.finish = r;
    });
  }

  async listen(): Promise<boolean> {
    const ok = await new Promise<boolean>((resolve) => {
      this.server.once("error", () => resolve(false));
      this.server.listen(this.s.port, "127.0.0.1", () => resolve(true));
    });
    if (!ok) return false;
    this.server.on("error", () => undefined);
    this.publish();
    this.watch = setInterval(() => this.tick(), 1000);
    this.watch.unref();
    this.arm();
    return true;
  }

  /** Writes the secret, then the pid (which makes the folder findable). */
  private publish(): void {
    ownedDir(this.s.runDir);
    ownedDir(this.dir);
    const secret = writeAtomic(join(this.dir, "secret"), `${this.secret}\n`);
    // the listening socket's fd: the shim finds its inode in /proc/<pid>/fdinfo/<fd>
    const fd = (this.server as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
    const ino = fd >= 0 ? fstatSync(fd).ino : 0;
    const pid = writeAtomic(
      join(this.dir, "pid"),
      `${process.pid} ${fd} ${startTime()} ${ino} ${this.s.port}\n`,
    );
    this.files = { secret, pid };
  }

  private mine(): boolean {
    if (!this.files) return false;
    try {
      return (
        statSync(join(this.dir, "secret")).ino === this.files.secret &&
        statSync(join(this.dir, "pid")).ino === this.files.pid
      );
    } catch {
      return false;
    }
  }

  /** Every second: files still ours (else write them again); bundle not replaced. */
  private tick(): void {
    if (this.stopping) return;
    if (this.self && bundleChanged(this.self)) {
      this.stop();
      return;
    }
    if (!this.mine()) {
      try {
        this.publish();
      } catch {
        // the run folder is not ours any more: stop rather than serve blind
        this.stop();
      }
    }
  }

  private arm(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => this.stop(), this.s.idleMs);
    this.idle.unref();
  }

  /** Stops listening; exits once the calls running have answered. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    if (this.idle) clearTimeout(this.idle);
    if (this.watch) clearInterval(this.watch);
    if (this.mine()) {
      rmSync(join(this.dir, "pid"), { force: true });
      rmSync(join(this.dir, "secret"), { force: true });
      try {
        rmdirSync(this.dir);
      } catch {
        // not empty or gone
      }
    }
    for (const p of this.pending) p.destroy();
    this.server.close(() => this.finish());
  }

  private accept(sock: Socket): void {
    sock.on("error", () => undefined);
    sock.setNoDelay(true);
    if (this.pending.size >= this.s.maxPending) {
      // Full: drop the oldest unauthenticated connection of a user other than
      // root (the kernel says whose it is: /proc/net/tcp), so a flood from an
      // unprivileged process never pushes out a shim; a new connection of
      // such a user is refused when only root's are waiting.
      const uids = peerUids(this.s.port);
      const rootOf = (x: Socket) => uids.get(x.remotePort ?? -1) === 0;
      const victim = [...this.pending].find((x) => !rootOf(x));
      if (victim) {
        this.pending.delete(victim);
        victim.destroy();
      } else if (!rootOf(sock)) {
        sock.destroy();
        return;
      }
    }
    this.pending.add(sock);
    const deadline = setTimeout(() => sock.destroy(), this.s.authMs);
    let line = Buffer.alloc(0);
    let body: Buffer | undefined;
    let got = 0;
    const fail = () => {
      clearTimeout(deadline);
      this.pending.delete(sock);
      sock.destroy();
    };
    sock.on("close", () => {
      clearTimeout(deadline);
      this.pending.delete(sock);
    });
    const want = Buffer.from(this.secret);
    /** The hello: secret first (nothing else is looked at before), then build and scope. */
    const onHello = (text: string): boolean => {
      const h = decodeHello(text);
      const got = Buffer.from(h.secret);
      if (got.length !== want.length || !timingSafeEqual(got, want)) throw new Error("bad secret");
      if (h.build !== this.s.build) {
        sock.end("V\n");
        // an older install's helper gives way to the new build
        if (this.self && bundleChanged(this.self)) this.stop();
        return false;
      }
      if (h.scope !== this.scope) {
        sock.end("S\n");
        return false;
      }
      // authenticated: now a body of the declared size, on its own deadline
      this.pending.delete(sock);
      clearTimeout(deadline);
      const bodyDeadline = setTimeout(() => sock.destroy(), this.s.bodyMs);
      sock.once("close", () => clearTimeout(bodyDeadline));
      body = Buffer.allocUnsafe(h.length);
      onBody = () => {
        clearTimeout(bodyDeadline);
        void this.run(sock, body!);
      };
      return true;
    };
    let onBody: () => void = () => undefined;
    sock.on("data", (chunk: Buffer) => {
      try {
        let c = chunk;
        if (!body) {
          const nl = c.indexOf(0x0a);
          if (nl < 0) {
            if (line.length + c.length >= MAX_HELLO) return fail();
            line = Buffer.concat([line, c]); // bounded by the cap: never quadratic
            return;
          }
          const full = Buffer.concat([line, c.subarray(0, nl)]);
          if (full.length >= MAX_HELLO) return fail();
          c = c.subarray(nl + 1);
          if (!onHello(full.toString("latin1"))) return;
          if (body!.length === 0) return void onBody();
        }
        if (!body || got === body.length) return; // the call runs; the shim sends nothing more
        const n = Math.min(c.length, body.length - got);
        c.copy(body, got, 0, n);
        got += n;
        if (got === body.length) onBody();
      } catch {
        fail();
      }
    });
  }

  private async run(sock: Socket, body: Buffer): Promise<void> {
    const received = Date.now();
    this.arm();
    const gone = new AbortController();
    const abort = () => gone.abort();
    sock.once("end", abort);
    sock.once("close", abort);
    let out = "";
    let err = "";
    try {
      let req: ReturnType<typeof decodeBody> | undefined;
      try {
        req = decodeBody(body);
      } catch (e) {
        sock.write(ACCEPTED);
        const ce = new CniError(ErrorCode.DecodingFailure, (e as Error).message);
        sock.end(encodeResponse(1, JSON.stringify(ce.toJSON()), `${ce.message}\n`));
        return;
      }
      sock.write(ACCEPTED);
      const code = await skel(createTortiePlugin(this.deps), {
        env: req.env,
        stdin: req.stdin,
        stdout: (t) => {
          out += t;
        },
        stderr: (t) => {
          err += t;
        },
        signal: gone.signal,
        startedAt: req.t0 ?? received,
      });
      if (!sock.destroyed) sock.end(encodeResponse(code, out, err));
      if (code !== 0) logFailure(req.env, req.stdin, out, err);
    } finally {
      this.arm();
    }
  }
}

/**
 * Owners of the loopback TCP connections to `port`, by client port, from
 * /proc/net/tcp (IPv4 sockets of this network namespace; "uid" column).
 */
export function peerUids(port: number): Map<number, number> {
  const out = new Map<number, number>();
  let text: string;
  try {
    text = readFileSync("/proc/net/tcp", "latin1");
  } catch {
    return out;
  }
  const want = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    // sl local rem st tx:rx tr:when retrnsmt uid …
    if (f.length < 8 || f[2] !== want) continue;
    const local = f[1]!;
    out.set(Number.parseInt(local.slice(local.indexOf(":") + 1), 16), Number(f[7]));
  }
  return out;
}

/** This process's start time in clock ticks (/proc/self/stat field 22): pid + this is unique. */
function startTime(): string {
  const st = readFileSync("/proc/self/stat", "latin1");
  return st.slice(st.lastIndexOf(")") + 2).split(" ")[19] ?? "0";
}

/** The running bundle's file identity, to notice an upgrade. */
function bundleIdentity(): { file: string; key: string } | undefined {
  try {
    const file = fileURLToPath(import.meta.url);
    return { file, key: fileKey(file) };
  } catch {
    return undefined;
  }
}

function fileKey(file: string): string {
  try {
    const st = statSync(file);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return "gone";
  }
}

function bundleChanged(id: { file: string; key: string }): boolean {
  return fileKey(id.file) !== id.key;
}

/**
 * Runs the helper until it has been idle for `idleMs` (or its install was
 * replaced). Resolves false at once when another process holds the port.
 */
export async function runHelper(opts: HelperOptions = {}): Promise<boolean> {
  const s = { ...helperSettings(), ...opts };
  // one set of edges for the helper's life: warm sockets, one store and IPAM client per datastore
  // the bundled worker sits beside the bundle (dist/bin/tortie-unlink.mjs)
  const deps = defaultDeps({ unlinkWorker: new URL("./tortie-unlink.mjs", import.meta.url) });
  const h = new Helper(s, deps);
  // One thread serves every pod's calls: under CPU contention (a burst of 30
  // plugin processes) it must not get only 1/31 of the CPU like each of them.
  try {
    setPriority(-5);
  } catch {
    // not permitted: serve at the default priority
  }
  if (!(await h.listen())) {
    await deps.close();
    return false;
  }
  process.once("SIGTERM", () => h.stop());
  await h.done;
  await deps.close();
  return true;
}

/** Reads a helper's pid from its scope folder (tests and tools). */
export function helperPid(runDir: string, scope: string): number | undefined {
  try {
    return Number(readFileSync(join(runDir, scope, "pid"), "utf8").split(" ")[0]) || undefined;
  } catch {
    return undefined;
  }
}
