// The local control socket (a Unix stream socket, mode 0600): one JSON
// request line in, one JSON answer line out, then the connection closes.
//
//   → {"command":"status"}          ← {"ok":true,"status":{…}}
//   → {"command":"ping"}            ← {"ok":true}
//   → anything else                 ← {"ok":false,"error":"…"}
//
// Abuse: requests are capped at 4 KiB and 2 s; a path that exists and is not
// a socket is never removed (the agent refuses to start).
import { chmodSync, existsSync, lstatSync, mkdirSync, unlinkSync } from "node:fs";
import { createConnection, createServer, type Server } from "node:net";
import { dirname } from "node:path";

const MAX_REQUEST = 4096;
const TIMEOUT_MS = 2000;

/** The socket's path is taken by something that is not a socket. */
export class ControlSocketError extends Error {
  override readonly name = "ControlSocketError";
}

/** Serves the control protocol. */
export async function startControlSocket(
  path: string,
  handlers: { status(): unknown },
): Promise<{ server: Server; close(): Promise<void> }> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  if (existsSync(path)) {
    if (!lstatSync(path).isSocket())
      throw new ControlSocketError(`${path} exists and is not a socket; not removing it`);
    unlinkSync(path); // a stale socket of an earlier run
  }
  const server = createServer((sock) => {
    let buf = "";
    const answer = (o: unknown) => {
      sock.end(`${JSON.stringify(o)}\n`);
    };
    sock.setTimeout(TIMEOUT_MS, () => sock.destroy());
    sock.on("error", () => sock.destroy());
    sock.on("data", (d) => {
      buf += d.toString("utf8");
      if (buf.length > MAX_REQUEST) {
        answer({ ok: false, error: `request longer than ${MAX_REQUEST} bytes` });
        sock.removeAllListeners("data");
        return;
      }
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      sock.removeAllListeners("data");
      let req: { command?: unknown };
      try {
        req = JSON.parse(buf.slice(0, nl));
      } catch {
        answer({ ok: false, error: "request is not JSON" });
        return;
      }
      if (req?.command === "status") answer({ ok: true, status: handlers.status() });
      else if (req?.command === "ping") answer({ ok: true });
      else
        answer({
          ok: false,
          error: `unknown command ${JSON.stringify(req?.command)} (status, ping)`,
        });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o600);
  return {
    server,
    close: () =>
      new Promise((r) =>
        server.close(() => {
          try {
            unlinkSync(path);
          } catch {}
          r();
        }),
      ),
  };
}

/** Sends one request; resolves with the parsed answer. */
export function controlRequest(path: string, request: unknown, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    let buf = "";
    const t = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer from ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on("connect", () => sock.write(`${JSON.stringify(request)}\n`));
    sock.on("data", (d) => {
      buf += d.toString("utf8");
    });
    sock.on("end", () => {
      clearTimeout(t);
      try {
        resolve(JSON.parse(buf));
      } catch {
        reject(new Error(`bad answer from ${path}`));
      }
    });
    sock.on("error", (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}
