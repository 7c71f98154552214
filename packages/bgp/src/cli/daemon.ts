// The `tortie-bgp` daemon's pieces, kept apart from process handling so they
// can be tested: reading a config file, rendering events as JSON lines, and
// the status socket (one JSON request per line, one JSON answer per line).
import { readFile } from "node:fs/promises";
import { createConnection, createServer, type Server } from "node:net";
import { parse as parseYaml } from "yaml";
import { parseSpeakerConfig, type SpeakerConfig } from "../speaker/config.js";
import { type OriginateBatch, parseOriginateBatch } from "../speaker/originate-batch.js";
import type { Speaker, SpeakerEvents } from "../speaker/speaker.js";
import { type ConnectUnanswered, transportDiagnostics } from "../speaker/transport.js";
import {
  type ControlRequest,
  type ControlState,
  controlAnswer,
  MAX_REQUEST_BYTES,
} from "./control.js";
import { describeTimers, diagnoseError, localSide } from "./diagnose.js";
import { batchFamilies, checkFamilies } from "./families.js";
import { enabled, type LogLevel, levelOf, Repeats, RouteCounters } from "./log.js";

export { checkFamilies };

/**
 * Reads a YAML or JSON configuration file and validates it (throws
 * ConfigError), including that every originated prefix is of a family some
 * peer or neighbour range carries ({@link checkFamilies}).
 */
export async function loadConfig(path: string): Promise<SpeakerConfig> {
  const config = parseSpeakerConfig(parseFile(await readFile(path, "utf8")));
  checkFamilies(config);
  return config;
}

/** A configuration file as the daemon runs it: the speaker's settings and its static routes apart. */
export interface DaemonConfig {
  /** Everything but the routes (`originate` is empty: the routes are in `routes`). */
  readonly config: SpeakerConfig;
  /** The `originate:` routes (BIRD's static routes), validated and grouped by attributes. */
  readonly routes: OriginateBatch;
}

/**
 * Reads a configuration file the way the daemon runs it: as
 * {@link loadConfig}, with the `originate:` routes validated once per
 * attribute set and held compactly (a file with a full table loads in
 * seconds). Errors are the same, at the same paths.
 */
export async function loadDaemonConfig(path: string): Promise<DaemonConfig> {
  const raw = parseFile(await readFile(path, "utf8"));
  const list =
    raw && typeof raw === "object" && !Array.isArray(raw)
      ? (raw as { originate?: unknown }).originate
      : undefined;
  if (!Array.isArray(list) || list.length === 0) {
    const config = parseSpeakerConfig(raw);
    checkFamilies(config);
    return {
      config: { ...config, originate: [] },
      routes: parseOriginateBatch(config.originate, "originate"),
    };
  }
  const config = parseSpeakerConfig({ ...(raw as object), originate: [] });
  const routes = parseOriginateBatch(list, "originate");
  // On a family no peer carries, the full check names the first such route.
  if (batchFamilies(config, routes)) checkFamilies(parseSpeakerConfig(raw));
  return { config, routes };
}

/** JSON (a file that starts with "{" and parses as JSON: fast for a full table) or YAML. */
function parseFile(text: string): unknown {
  if (text.trimStart().startsWith("{")) {
    try {
      return JSON.parse(text);
    } catch {
      // YAML's parser explains what is wrong (YAML is a superset of JSON).
    }
  }
  return parseYaml(text);
}

/** One JSON line per event (with its level); routes are one line per prefix. */
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
        return JSON.stringify({
          time,
          level: levelOf("route-learned"),
          event: "route-learned",
          peer: r.peer,
          ...rest,
        });
      }),
      ...r.withdrawn.map((key) =>
        JSON.stringify({
          time,
          level: levelOf("route-withdrawn"),
          event: "route-withdrawn",
          peer: r.peer,
          prefix: key,
        }),
      ),
    ];
  }
  return [JSON.stringify({ time, level: levelOf(name), event: name, ...(e as object) })];
}

/** How {@link streamEvents} logs. */
export interface StreamOptions {
  /** Lines below this level are not written (default "info": no per-route lines). */
  readonly level?: LogLevel;
  /** Per-peer route counters are written this often, ms (default 10,000; 0: only at End-of-RIB). */
  readonly summaryIntervalMs?: number;
  /** The running configuration (default the speaker's own; the daemon's changes with reloads). */
  readonly config?: () => SpeakerConfig;
  /** Filled with each peer's latest diagnosis (a failure's cause), for the status answer. */
  readonly notes?: Map<string, string>;
  /** Wall clock, ms (tests). */
  readonly now?: () => number;
}

/**
 * Subscribes `write` to the speaker's events as JSON lines, each with a
 * `level`. Routes are counted per peer and written as `routes-summary`
 * lines (learned, withdrawn, prefixes now held) every `summaryIntervalMs`
 * and at each End-of-RIB; one line per route only at level debug. A peer
 * failing before Established gets a `peer-error` line naming the cause as
 * BIRD does ({@link diagnoseError}; repeats of the same cause at most once
 * a minute), and an outgoing connection that got no answer a
 * `connect-unanswered` line ("no reply to SYN from 192.0.2.2:179 — TCP-MD5
 * key mismatch?" when a password is set). Returns a function that stops it.
 */
export function streamEvents(
  speaker: Speaker,
  write: (line: string) => void,
  opts: StreamOptions = {},
): () => void {
  const min = opts.level ?? "info";
  const now = opts.now ?? Date.now;
  const config = opts.config ?? (() => speaker.config);
  const counters = new RouteCounters();
  const repeats = new Repeats(60_000);
  const out = (event: string, o: object) => {
    const level = levelOf(event);
    if (enabled(min, level))
      write(JSON.stringify({ time: new Date(now()).toISOString(), level, event, ...o }));
  };
  const summarise = (peer?: string) => {
    for (const c of counters.take(peer)) {
      const prefixes = speaker.peer(c.peer)?.prefixes.received;
      out("routes-summary", { ...c, ...(prefixes !== undefined ? { prefixes } : {}) });
    }
  };
  const note = (peer: string, message: string) => {
    opts.notes?.set(peer, message);
    const r = repeats.check(peer, message, now());
    return r.log
      ? { log: true, ...(r.suppressed ? { repeated: r.suppressed } : {}) }
      : { log: false };
  };
  const diagnose = (peer: string) => {
    const p = speaker.peer(peer);
    const message = p && diagnoseError(p, localSide(config(), p, peer));
    if (!message) return;
    const { log, ...more } = note(peer, message);
    if (log) out("peer-error", { peer, message, ...more });
  };

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
      if (n === "routes") {
        const r = e as SpeakerEvents["routes"][0];
        counters.add(r.peer, r.announced.length, r.withdrawn.length);
        if (!enabled(min, "debug")) return;
      }
      if (n === "end-of-rib") summarise((e as SpeakerEvents["end-of-rib"][0]).peer);
      if (n === "routes" || enabled(min, levelOf(n)))
        for (const l of eventLines(n, e, now())) write(l);
      if (n === "peer-up") {
        const { peer, session } = e as SpeakerEvents["peer-up"][0];
        repeats.clear(peer);
        // From the event's own session: the peer's status may not read
        // Established yet when "up" is emitted (seen in CI: no line at all).
        const timers = describeTimers(session, localSide(config(), speaker.peer(peer), peer));
        opts.notes?.delete(peer); // status shows the timers of an Established peer
        out("peer-timers", { peer, holdTime: session.holdTime, message: timers });
      }
      // the failure is recorded once the session's step is over
      if (n === "peer-state" || n === "peer-down")
        setImmediate(() => diagnose((e as { peer: string }).peer));
    }) as never);
  }
  const onUnanswered = (u: ConnectUnanswered) => {
    const p = speaker.peer(u.remoteAddress);
    if (!p) return;
    const message = `no reply to SYN from ${u.remoteAddress.includes(":") ? `[${u.remoteAddress}]` : u.remoteAddress}:${u.remotePort}${
      u.md5
        ? " — TCP-MD5 key mismatch? (a peer whose key differs, or that has none for us, drops our SYN silently)"
        : " — peer down, not listening on this address, or filtered?"
    }`;
    const { log, ...more } = note(u.remoteAddress, message);
    if (log)
      out("connect-unanswered", { peer: u.remoteAddress, message, waitedMs: u.waitedMs, ...more });
  };
  transportDiagnostics.on("no-syn-ack", onUnanswered);
  const interval = opts.summaryIntervalMs ?? 10_000;
  const timer = interval > 0 ? setInterval(() => summarise(), interval) : undefined;
  timer?.unref();
  return () => {
    if (timer) clearInterval(timer);
    transportDiagnostics.off("no-syn-ack", onUnanswered);
    summarise();
  };
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
        const ok = conn.write(
          `${s ? controlAnswer(s, line, state) : JSON.stringify({ error: "starting" })}\n`,
        );
        // A client that sends requests without reading the answers is not read
        // from until it does: answers cannot pile up here without bound.
        if (!ok) conn.pause();
      }
      if (Buffer.byteLength(buf) > MAX_REQUEST_BYTES) {
        buf = "";
        conn.end(
          `${JSON.stringify({ error: `request larger than ${MAX_REQUEST_BYTES} bytes` })}\n`,
        );
        conn.destroySoon();
      }
    });
    conn.on("drain", () => conn.resume());
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
