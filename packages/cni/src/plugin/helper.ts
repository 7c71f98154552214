// The resident helper: one warm Node process per host that serves plugin
// calls handed over by the `tortie` shim (protocol in helper-protocol.ts), so
// a call costs a bash start and a loopback connection instead of a Node
// start. It listens on 127.0.0.1 in the runtime's network namespace, accepts
// only requests carrying the token it wrote to a root-only file, runs each
// call through the same skel and plugin as the executable, and exits after
// an idle period.

import { randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { skel } from "../skel/skel.js";
import { CniError, ErrorCode } from "../spec/errors.js";
import { decodeRequest, encodeResponse, type HelperProtocolError } from "./helper-protocol.js";
import { defaultDeps } from "./main.js";
import { createTortiePlugin } from "./plugin.js";

/**
 * The helper's default port: below 1024, so that only root can listen on it
 * and no other local user can pose as the helper to collect tokens and calls.
 */
export const DEFAULT_HELPER_PORT = 927;

/** The answer to a request with a wrong token: "run it yourself". */
export const RETRY_IN_NODE = "R\n";

/** Where the helper listens and keeps its token. */
export interface HelperOptions {
  /** Folder of the token file (default $TORTIE_CNI_RUN_DIR or /run/tortie-cni). */
  readonly runDir?: string;
  /** Loopback TCP port (default $TORTIE_CNI_HELPER_PORT or {@link DEFAULT_HELPER_PORT}). */
  readonly port?: number;
  /** Exit after this long without a call, ms (default 10 minutes). */
  readonly idleMs?: number;
}

/** The helper's settings from the environment. */
export function helperSettings(env: NodeJS.ProcessEnv = process.env): Required<HelperOptions> {
  return {
    runDir: env.TORTIE_CNI_RUN_DIR || "/run/tortie-cni",
    port: Number(env.TORTIE_CNI_HELPER_PORT || DEFAULT_HELPER_PORT),
    idleMs: Number(env.TORTIE_CNI_HELPER_IDLE_MS || 600_000),
  };
}

type Deps = ReturnType<typeof defaultDeps>;

async function serve(sock: Socket, token: string, deps: Deps): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of sock) {
    chunks.push(c as Buffer);
    size += (c as Buffer).length;
    let req: ReturnType<typeof decodeRequest>;
    try {
      req = decodeRequest(Buffer.concat(chunks, size));
    } catch (e) {
      const err = new CniError(ErrorCode.DecodingFailure, (e as HelperProtocolError).message);
      sock.end(encodeResponse(1, JSON.stringify(err.toJSON())));
      return;
    }
    if (!req) continue;
    const a = Buffer.from(req.token);
    const b = Buffer.from(token);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      // a stale token (the helper was restarted): the shim runs the call in Node instead
      sock.end(RETRY_IN_NODE);
      return;
    }
    let out = "";
    const code = await skel(createTortiePlugin(deps), {
      env: req.env,
      stdin: req.stdin,
      stdout: (t) => {
        out += t;
      },
      stderr: (t) => {
        process.stderr.write(t);
      },
    });
    sock.end(encodeResponse(code, out));
    return;
  }
}

/**
 * Runs the helper until it has been idle for `idleMs`. Resolves false at once
 * when another helper already holds the port.
 */
export async function runHelper(opts: HelperOptions = {}): Promise<boolean> {
  const s = { ...helperSettings(), ...opts };
  const token = randomBytes(24).toString("hex");
  // one set of edges for the helper's life: warm sockets, one store and IPAM client per datastore
  // the bundled worker sits beside the bundle (dist/bin/tortie-unlink.mjs)
  const deps = defaultDeps({ unlinkWorker: new URL("./tortie-unlink.mjs", import.meta.url) });
  let idle: ReturnType<typeof setTimeout> | undefined;
  const server = createServer((sock) => {
    sock.on("error", () => undefined);
    arm();
    void serve(sock, token, deps).catch(() => sock.destroy());
  });
  const tokenFile = join(s.runDir, "token");
  const done = new Promise<void>((resolve) => server.on("close", resolve));
  function arm() {
    if (idle) clearTimeout(idle);
    idle = setTimeout(() => {
      rmSync(tokenFile, { force: true });
      server.close();
    }, s.idleMs);
  }
  const listening = await new Promise<boolean>((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(s.port, "127.0.0.1", () => resolve(true));
  });
  if (!listening) return false;
  mkdirSync(s.runDir, { recursive: true, mode: 0o700 });
  chmodSync(s.runDir, 0o700);
  writeFileSync(`${tokenFile}.${process.pid}`, `${token}\n`, { mode: 0o600 });
  renameSync(`${tokenFile}.${process.pid}`, tokenFile);
  arm();
  await done;
  await deps.close();
  return true;
}
