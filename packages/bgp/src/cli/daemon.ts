// The `tortie-bgp` daemon's pieces, kept apart from process handling so they
// can be tested: reading a config file, rendering events as JSON lines, and
// the status socket (one JSON request per line, one JSON answer per line).
import { readFile } from "node:fs/promises";
import { createConnection, createServer, type Server } from "node:net";
import { parse as parseYaml } from "yaml";
import { parseSpeakerConfig, type SpeakerConfig } from "../speaker/config.js";
import type { Speaker, SpeakerEvents } from "../speaker/speaker.js";
import {
  type ControlRequest,
  type ControlState,
  controlAnswer,
  MAX_REQUEST_BYTES,
} from "./control.js";
import { checkFamilies } from "./families.js";

export { checkFamilies };

/**
 * Reads a YAML or JSON configuration file and validates it (throws
 * ConfigError), including that every originated prefix is of a family some
 * peer or neighbour range carries ({@link checkFamilies}).
 */
export async function loadConfig(path: string): Promise<SpeakerConfig> {
  const text = await readFile(path, "utf8");
  const config = parseSpeakerConfig(parseYaml(text));
  checkFamilies(config);
  return config;
}

/** One JSON line per event; routes are one line per prefix. */
export function eventLines<K extends keyof SpeakerEvents>(
  name: K,
  e: SpeakerEvents[K][0],
  now = Date.now(),
): string[] {
  const time = new Date(now).toISOString();
  if (name === "routes") {
    const r = e as SpeakerEvents["routes"][0];
    return [
      ...r.announced.map((route) => {
        const { attributes: _a, ...rest } = route;
        return JSON.stringify({ time, event: "route-learned", peer: r.peer, ...rest });
      }),
      ...r.withdrawn.map((key) =>
        JSON.stringify({ time, event: "route-withdrawn", peer: r.peer, prefix: key }),
      ),
    ];
  }
  return [JSON.stringify({ time, event: name, ...(e as object) })];
}

/** Subscribes `write` to every event of the speaker as JSON lines. */
export function streamEvents(speaker: Speaker, write: (line: string) => void): void {
  const names: (keyof SpeakerEvents)[] = [
    "peer-state",
    "peer-up",
    "peer-down",
    "routes",
    "routes-stale",
    "end-of-rib",
    "route-refresh",
    "warning",
    "session-error",
  ];
  for (const n of names) {
    speaker.on(n, ((e: never) => {
      for (const l of eventLines(n, e)) write(l);
    }) as never);
  }
}

/** Read-only requests: `{"cmd":"status"}`, `{"cmd":"routes","peer":"…"}`, `{"cmd":"table"}`. */
export type StatusRequest = { cmd: "status" } | { cmd: "table" } | { cmd: "routes"; peer?: string };

/**
 * Serves the control socket at `path`: one JSON request per line, one JSON
 * answer per line (control.ts). `speaker` may be a function, so that the
 * socket is up before the speaker starts (a caller that sees a session come
 * up can ask at once); until it returns a speaker the answer is
 * `{"error":"starting"}`. With `state`, requests may change peers and
 * routes; without, the socket is read-only. The socket is made mode 0600
 * (only its owner may connect); a line longer than MAX_REQUEST_BYTES is
 * answered with an error and the connection closed.
 */
export async function serveStatus(
  speaker: Speaker | (() => Speaker | undefined),
  path: string,
  state?: ControlState,
): Promise<Server> {
  const current = typeof speaker === "function" ? speaker : () => speaker;
  // A socket some running daemon answers on is not ours to remove.
  if (await answers(path))
    throw Object.assign(new Error(`${path} is in use`), { code: "EADDRINUSE" });
  const { rm, chmod } = await import("node:fs/promises");
  await rm(path, { force: true });
  const server = createServer((conn) => {
    let buf = "";
    conn.setEncoding("utf8");
    conn.on("data", (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        const s = current();
        conn.write(
          `${s ? controlAnswer(s, line, state) : JSON.stringify({ error: "starting" })}\n`,
        );
      }
      if (Buffer.byteLength(buf) > MAX_REQUEST_BYTES) {
        buf = "";
        conn.end(
          `${JSON.stringify({ error: `request larger than ${MAX_REQUEST_BYTES} bytes` })}\n`,
        );
        conn.destroySoon();
      }
    });
    conn.on("error", () => {});
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve());
  });
  await chmod(path, 0o600);
  return server;
}

/** Whether something accepts connections on the unix socket at `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(path);
    c.once("connect", () => {
      c.destroy();
      resolve(true);
    });
    c.once("error", () => resolve(false));
  });
}

/** Sends one request to the control socket and returns the parsed answer. */
export function queryStatus(
  path: string,
  req: StatusRequest | ControlRequest | Record<string, unknown>,
  timeoutMs = 5000,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const c = createConnection(path);
    let buf = "";
    const t = setTimeout(() => {
      c.destroy();
      reject(new Error(`no answer from ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    c.setEncoding("utf8");
    c.on("connect", () => c.write(`${JSON.stringify(req)}\n`));
    c.on("data", (d: string) => {
      buf += d;
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(t);
        c.end();
        try {
          resolve(JSON.parse(buf.slice(0, nl)));
        } catch (e) {
          reject(e);
        }
      }
    });
    c.on("error", (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}
