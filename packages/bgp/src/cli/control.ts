// The `tortie-bgp` control socket's requests: one JSON object per line,
// at most MAX_REQUEST_BYTES, `{"cmd": …}` plus the command's own keys. An
// unknown command or key is refused with the closest valid name; a peer or
// route is validated by the same schemas as the configuration file (so
// `md5Password` is refused here too). Changing commands act on the running
// speaker and on the daemon's picture of its configuration, so that a later
// SIGHUP compares the file with what actually runs (the file wins: a peer
// added here and absent from the file is removed by a reload).
// Originated routes are held by the speaker alone (its Loc-RIB), not in a
// second list here: a request costs what it carries, not the table's size.
// Pure: the speaker is passed in.
import {
  ConfigError,
  type PeerConfig,
  parsePeerConfig,
  type SpeakerConfig,
} from "../speaker/config.js";
import {
  type OriginateBatch,
  parseOriginateBatch,
  parsePrefixBatch,
} from "../speaker/originate-batch.js";
import type { Speaker, SpeakerStatus } from "../speaker/speaker.js";
import { formatStatus } from "../speaker/status.js";
import { closest } from "../speaker/suggest.js";
import { peerInfo } from "./diagnose.js";
import { batchFamilies, checkFamilies } from "./families.js";

/**
 * The longest request line accepted, in bytes (a peer with every option is
 * < 2 KiB; an `originate-prefixes` line carries about 4,000 IPv4 prefixes:
 * a large table is many lines on one connection).
 */
export const MAX_REQUEST_BYTES = 64 * 1024;

/** Up to this many originated prefixes, `status` lists them; beyond, `originatedCount` alone. */
export const STATUS_LIST_LIMIT = 1000;

/** Each command and the keys it takes beside `cmd`. */
export const CONTROL_COMMANDS = {
  status: [],
  table: [],
  routes: ["peer"],
  "add-peer": ["peer"],
  "remove-peer": ["address", "message"],
  "disable-peer": ["address", "message"],
  "enable-peer": ["address"],
  originate: ["routes"],
  "originate-prefixes": ["prefixes", "attributes"],
  withdraw: ["prefixes"],
} as const satisfies Record<string, readonly string[]>;

/** The commands that change the running speaker. */
export const CHANGING_COMMANDS: readonly ControlCommand[] = [
  "add-peer",
  "remove-peer",
  "disable-peer",
  "enable-peer",
  "originate",
  "originate-prefixes",
  "withdraw",
];

export type ControlCommand = keyof typeof CONTROL_COMMANDS;

/** A request, validated. */
export type ControlRequest =
  | { readonly cmd: "status" }
  | { readonly cmd: "table" }
  | { readonly cmd: "routes"; readonly peer?: string }
  | { readonly cmd: "add-peer"; readonly peer: PeerConfig }
  | { readonly cmd: "remove-peer"; readonly address: string; readonly message?: string }
  | { readonly cmd: "disable-peer"; readonly address: string; readonly message?: string }
  | { readonly cmd: "enable-peer"; readonly address: string }
  | { readonly cmd: "originate"; readonly routes: OriginateBatch; readonly prefixes: string[] }
  | { readonly cmd: "originate-prefixes"; readonly routes: OriginateBatch }
  | { readonly cmd: "withdraw"; readonly prefixes: readonly string[] };

/** A request refused: nothing was changed. */
export class ControlError extends Error {
  override readonly name = "ControlError";
}

const suggest = (word: string, valid: readonly string[]) => {
  const near = closest(word, valid);
  return near ? ` (did you mean "${near}"?)` : "";
};

function text(v: unknown, key: string, max = 255): string {
  if (typeof v !== "string" || v.length === 0 || v.length > max)
    throw new ControlError(`${key}: must be a string of 1 to ${max} characters`);
  return v;
}

/** Re-labels the configuration's issues under the request key `at` ("" for paths as given). */
function under<T>(at: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof ConfigError)
      throw new ControlError(
        e.issues.map((i) => `${at}${at && i.path ? "." : ""}${i.path}: ${i.message}`).join("; "),
      );
    throw e;
  }
}

/**
 * Reads one request line. A bare word is a command without keys
 * (`status`). Throws {@link ControlError} naming what is wrong.
 */
export function parseControlRequest(line: string): ControlRequest {
  if (Buffer.byteLength(line) > MAX_REQUEST_BYTES)
    throw new ControlError(`request larger than ${MAX_REQUEST_BYTES} bytes`);
  let raw: unknown;
  if (!/^[a-z-]+$/.test(line)) {
    try {
      raw = JSON.parse(line);
    } catch {
      throw new ControlError("request is not JSON");
    }
  } else raw = { cmd: line };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new ControlError("request is not a JSON object");
  const r = raw as Record<string, unknown>;
  const commands = Object.keys(CONTROL_COMMANDS);
  if (typeof r.cmd !== "string")
    throw new ControlError(`cmd: required, one of ${commands.join(", ")}`);
  if (!Object.hasOwn(CONTROL_COMMANDS, r.cmd))
    throw new ControlError(
      `unknown command ${JSON.stringify(r.cmd)}${suggest(r.cmd, commands)}; commands: ${commands.join(", ")}`,
    );
  const cmd = r.cmd as ControlCommand;
  const keys: readonly string[] = CONTROL_COMMANDS[cmd];
  const unknown = Object.keys(r).filter((k) => k !== "cmd" && !keys.includes(k));
  if (unknown.length)
    throw new ControlError(
      unknown
        .map(
          (k) =>
            `${k}: unknown key "${k}" for ${cmd}${suggest(k, keys)}; valid keys: ${["cmd", ...keys].join(", ")}`,
        )
        .join("; "),
    );
  const message = r.message === undefined ? {} : { message: text(r.message, "message") };
  switch (cmd) {
    case "status":
    case "table":
      return { cmd };
    case "routes":
      return r.peer === undefined ? { cmd } : { cmd, peer: text(r.peer, "peer") };
    case "add-peer":
      if (typeof r.peer !== "object" || r.peer === null || Array.isArray(r.peer))
        throw new ControlError(
          "peer: required, an object like a `peers:` entry of the configuration",
        );
      return { cmd, peer: under("peer", () => parsePeerConfig(r.peer)) };
    case "remove-peer":
    case "disable-peer":
      return { cmd, address: text(r.address, "address"), ...message };
    case "enable-peer":
      return { cmd, address: text(r.address, "address") };
    case "originate": {
      const list = Array.isArray(r.routes) ? r.routes : r.routes === undefined ? [] : [r.routes];
      if (list.length === 0)
        throw new ControlError("routes: required, a list of `originate:` entries");
      const routes = under("routes", () => parseOriginateBatch(list));
      return {
        cmd,
        routes,
        prefixes: list.map((x) => String((x as { prefix: unknown }).prefix)),
      };
    }
    case "originate-prefixes": {
      if (!Array.isArray(r.prefixes) || r.prefixes.length === 0)
        throw new ControlError('prefixes: required, a list of prefixes ("198.51.100.0/26", …)');
      const attributes = r.attributes ?? {};
      if (typeof attributes !== "object" || attributes === null || Array.isArray(attributes))
        throw new ControlError(
          "attributes: an object with the keys of an `originate:` entry but `prefix`",
        );
      const prefixes = r.prefixes as unknown[];
      return { cmd, routes: under("", () => parsePrefixBatch(prefixes as string[], attributes)) };
    }
    case "withdraw": {
      const list = Array.isArray(r.prefixes)
        ? r.prefixes
        : r.prefixes === undefined
          ? []
          : [r.prefixes];
      if (list.length === 0) throw new ControlError("prefixes: required, a list of prefixes");
      return { cmd, prefixes: list.map((p, i) => text(p, `prefixes.${i}`, 64)) };
    }
  }
}

/** The daemon's picture of what runs: changed by control requests and SIGHUP. */
export interface ControlState {
  config: SpeakerConfig;
  /** Latest cause noted per peer by the event stream (an unanswered connect, a refused OPEN). */
  notes?: Map<string, string>;
  /**
   * The originated prefixes `status` lists (at most STATUS_LIST_LIMIT), kept
   * between requests: listing them walks the whole Loc-RIB (a million
   * received routes), so it is done once per change, not once per `status`.
   * Cleared by every changing request here; whoever else changes the
   * speaker's originated routes (the daemon's SIGHUP) sets it to undefined.
   */
  originated?: readonly string[] | undefined;
}

/**
 * The speaker's status as `status` and `table` answer it, at a cost in the
 * number of peers, not of routes: the originated prefixes are listed while
 * there are at most STATUS_LIST_LIMIT, from `state.originated` when it holds
 * as many as the speaker has (else read once and kept there); with none, or
 * more, nothing is walked and the list is empty (`originatedCount` tells).
 */
function statusOf(speaker: Speaker, state?: ControlState): SpeakerStatus {
  const n = speaker.originatedCount;
  if (n === 0 || n > STATUS_LIST_LIMIT) return speaker.status({ originated: false });
  const kept = state?.originated;
  if (kept && kept.length === n)
    return { ...speaker.status({ originated: false }), originated: [...kept] };
  const st = speaker.status({ originated: true });
  if (state) state.originated = st.originated;
  return st;
}

function knownPeer(speaker: Speaker, address: string): void {
  if (speaker.peer(address)) return;
  const peers = speaker.status().peers.map((p) => p.address);
  throw new ControlError(
    `no peer ${address}${suggest(address, peers)}; peers: ${peers.join(", ") || "none"}`,
  );
}

/**
 * Answers a request: the answer object (`{"ok": true, …}` for a change), or
 * {@link ControlError} when it is refused, with nothing changed. Without
 * `state` the socket is read-only and changing commands are refused.
 */
export function applyControl(speaker: Speaker, req: ControlRequest, state?: ControlState): unknown {
  switch (req.cmd) {
    case "status": {
      // each peer with `info`: its timers when Established, else why it is not (diagnose.ts);
      // the originated prefixes listed while there are at most STATUS_LIST_LIMIT
      const st = statusOf(speaker, state);
      const config = state?.config ?? speaker.config;
      return {
        ...st,
        peers: st.peers.map((p) => {
          const info = peerInfo(p, config, state?.notes);
          return info ? { ...p, info } : p;
        }),
      };
    }
    case "table": {
      const st = statusOf(speaker, state);
      const config = state?.config ?? speaker.config;
      const lines = st.peers.flatMap((p) => {
        const info = peerInfo(p, config, state?.notes);
        return info ? [`${p.address}: ${info}`] : [];
      });
      return { table: [formatStatus(st), ...lines].join("\n") };
    }
    case "routes":
      return speaker.routes(req.peer).map(({ attributes: _a, ...r }) => r);
    default:
      break;
  }
  if (!state) throw new ControlError(`${req.cmd}: this socket is read-only`);
  const c = state.config;
  // a change may change what is originated: status reads the list afresh
  state.originated = undefined;
  switch (req.cmd) {
    case "add-peer": {
      const a = req.peer.address;
      if (speaker.peer(a)) throw new ControlError(`peer ${a} already exists`);
      speaker.addPeer(req.peer);
      state.config = { ...c, peers: [...c.peers, req.peer] };
      return { ok: true, added: a };
    }
    case "remove-peer":
      knownPeer(speaker, req.address);
      speaker.removePeer(req.address, req.message ?? "peer removed by tortie-bgp control");
      state.config = { ...c, peers: c.peers.filter((p) => p.address !== req.address) };
      return { ok: true, removed: req.address };
    case "disable-peer":
      knownPeer(speaker, req.address);
      speaker.shutdownPeer(req.address, req.message ?? "peer disabled by tortie-bgp control");
      return { ok: true, disabled: req.address };
    case "enable-peer":
      knownPeer(speaker, req.address);
      speaker.startPeer(req.address);
      return { ok: true, enabled: req.address };
    case "originate":
    case "originate-prefixes": {
      // a family no peer negotiates would never be announced: an error, as in the file
      const fams = batchFamilies(c, req.routes);
      if (fams && req.cmd === "originate") {
        // the full check names the first such route by its index
        try {
          checkFamilies({
            ...c,
            originate: req.prefixes.map((prefix) => ({ prefix })),
          } as SpeakerConfig);
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
          throw new ControlError(
            e.issues
              .map((i) => `${i.path.replace(/^originate\./, "routes.")}: ${i.message}`)
              .join("; "),
          );
        }
      }
      if (fams) throw new ControlError(`prefixes: ${fams}`);
      speaker.originateBatch(req.routes);
      return req.cmd === "originate"
        ? { ok: true, originated: req.prefixes }
        : { ok: true, originated: req.routes.size };
    }
    case "withdraw": {
      const missing = req.prefixes.filter((p) => !speaker.isOriginated(p));
      if (missing.length) {
        const n = speaker.originatedCount;
        // Name the originated prefixes (and the closest) only while the list is short.
        const have = n <= 100 ? speaker.status().originated : [];
        throw new ControlError(
          `not originated: ${missing.join(", ")}${have.length ? suggest(missing[0]!, have) : ""}; originated: ${
            n === 0 ? "none" : have.length ? have.join(", ") : `${n} prefixes`
          }`,
        );
      }
      speaker.withdraw(req.prefixes);
      return { ok: true, withdrawn: req.prefixes };
    }
  }
}

/** One answer line for one request line: the answer, or `{"error": "…"}`. */
export function controlAnswer(speaker: Speaker, line: string, state?: ControlState): string {
  try {
    return JSON.stringify(applyControl(speaker, parseControlRequest(line), state));
  } catch (e) {
    if (e instanceof ControlError) return JSON.stringify({ error: e.message });
    // the speaker's own refusals (SpeakerError, ConfigError) are answers too
    return JSON.stringify({ error: (e as Error).message.split("\n")[0] });
  }
}
