// A wire-fuzzing campaign against a live Tortie speaker (issue #19): raw
// peers — one per session kind, each from its own address in a namespace —
// send mutated valid messages over real TCP sessions and classify what each
// one gets:
//
//   processed     the session went on: the probe after it (KEEPALIVE +
//                 ROUTE-REFRESH) was answered with EoRR, or, for an OPEN,
//                 Tortie accepted it (its KEEPALIVE)
//   notification  Tortie answered with a NOTIFICATION (and closed)
//   close         Tortie closed without one (e.g. after our NOTIFICATION)
//   stall         none of these within `stallMs` — a finding
//   oversize      a NOTIFICATION longer than the session's maximum — a finding
//   crash         an error escaped into the process (uncaughtException /
//                 unhandledRejection) while the input was in flight — a finding
//
// Every input is completed to a message boundary before the probe, exactly as
// Tortie's framer reads it (checkHeader with the same maximum), so a message
// Tortie is rightly still waiting for is never mistaken for a stall: a stall
// is a complete message that got no answer. Inputs are reproducible from the
// seed; findings carry their exact bytes for the replay command.

import {
  connected,
  kindContext,
  RawConn,
  rawSession,
  type SessionKind,
} from "../../src/speaker/raw-peer.fixture.js";
import { connectTcp } from "../../src/speaker/transport.js";
import {
  checkHeader,
  codecContext,
  DEFAULT_CONTEXT,
  maxMessageLength,
} from "../../src/wire/index.js";
import { mutate, Rng, subSeed } from "./mutate.js";
import { type Seed, type SeedType, seedsFor } from "./seeds.js";

/** What the campaign drives. */
export interface FuzzTarget {
  /** Namespace the raw peers connect from. */
  readonly nsPath: string;
  /** Tortie's address (port 179). */
  readonly remote: string;
  /** The raw peer's address for each session kind to fuzz (configured as a passive peer in Tortie). */
  readonly peers: Partial<Record<SessionKind, string>>;
  /** The raw peers' AS (2-octet, so that the 2-octet kind can use it). */
  readonly asn: number;
  /** Tortie's FSM state for a peer (its status API; the campaign waits for Idle/Active before connecting). */
  state(address: string): string | undefined;
}

/** Campaign settings. */
export interface FuzzOptions {
  readonly seed: number;
  /** Inputs per session kind. */
  readonly messages: number;
  /** A complete input with no answer for this long is a stall (default 3000 ms). */
  readonly stallMs?: number;
  /** Share of inputs that are mutated OPENs sent as the first message (default 0.15). */
  readonly openShare?: number;
  onFinding?(f: Finding): void;
  onProgress?(done: number, total: number): void;
}

export type Outcome = "processed" | "notification" | "close" | "stall" | "oversize" | "crash";
export type Phase = "open" | "established";

/** One input that produced a finding (stall, oversize, crash): enough to replay it. */
export interface Finding {
  readonly kind: SessionKind;
  readonly phase: Phase;
  readonly index: number;
  readonly seed: string;
  readonly ops: readonly string[];
  readonly outcome: Outcome;
  readonly detail: string;
  /** The exact bytes written (the input completed to a message boundary). */
  readonly hex: string;
}

/** What a campaign (or a replay) saw. */
export interface FuzzReport {
  messages: number;
  outcomes: Record<Outcome, number>;
  /** NOTIFICATIONs Tortie sent, by "code/subcode". */
  notifications: Record<string, number>;
  bySeedType: Record<SeedType, number>;
  sessions: number;
  findings: Finding[];
  ms: number;
}

const PROBE = Uint8Array.from([
  ...Array(16).fill(0xff), 0, 19, 4, // KEEPALIVE (keeps the hold timer happy)
  ...Array(16).fill(0xff), 0, 23, 5, 0, 1, 0, 1, // ROUTE-REFRESH IPv4 unicast → BoRR … EoRR
]); // biome-ignore format: two messages

/**
 * Zeros that complete `input` to a message boundary as Tortie's framer sees it
 * (every header checked against `max`); empty when it already ends on one, or
 * when a header in it is broken (Tortie answers that header at once).
 */
export function completion(input: Uint8Array, max: number): Uint8Array {
  let stream = input;
  let off = 0;
  for (;;) {
    const rem = stream.length - off;
    if (rem === 0) break;
    if (rem < 19) stream = concat(stream, new Uint8Array(19 - rem));
    let len: number;
    try {
      len = checkHeader(stream, off, max)!;
    } catch {
      break;
    }
    if (stream.length - off < len)
      stream = concat(stream, new Uint8Array(len - (stream.length - off)));
    off += len;
  }
  return stream.subarray(input.length);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function emptyReport(): FuzzReport {
  return {
    messages: 0,
    outcomes: { processed: 0, notification: 0, close: 0, stall: 0, oversize: 0, crash: 0 },
    notifications: {},
    bySeedType: { open: 0, update: 0, notification: 0, "route-refresh": 0, keepalive: 0 },
    sessions: 0,
    findings: [],
    ms: 0,
  };
}

async function until<T>(probe: () => T | undefined, ms: number): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** One raw peer: its session with Tortie, reconnected whenever Tortie ends it. */
class Peer {
  private conn: RawConn | undefined;
  /** `conn` is an Established session (not an OPEN-phase connection). */
  private up = false;
  constructor(
    private readonly target: FuzzTarget,
    readonly kind: SessionKind,
    readonly address: string,
    private readonly report: FuzzReport,
  ) {}

  /** Waits until Tortie's side of this peer is down and ready for a new connection. */
  private async ready(): Promise<void> {
    const ok = await until(() => {
      const s = this.target.state(this.address);
      return s === "Idle" || s === "Active" ? true : undefined;
    }, 15_000);
    if (!ok)
      throw new Error(
        `Tortie's session with ${this.address} stayed ${this.target.state(this.address)}`,
      );
  }

  /** A fresh connection on which Tortie has sent its OPEN; nothing sent by us yet. */
  async fresh(): Promise<RawConn> {
    this.drop();
    for (let attempt = 0; ; attempt++) {
      await this.ready();
      const sock = connectTcp({
        remoteAddress: this.target.remote,
        remotePort: 179,
        localAddress: this.address,
        netns: this.target.nsPath,
      });
      const conn = new RawConn(await connected(sock), codecContext());
      const open = await until(
        () =>
          conn.received.some((m) => m.type === "open") ? true : conn.closed ? false : undefined,
        10_000,
      );
      if (open) {
        this.conn = conn;
        this.up = false;
        this.report.sessions++;
        return conn;
      }
      conn.destroy();
      if (attempt >= 40)
        throw new Error(`${this.target.remote} does not take a connection from ${this.address}`);
      // Refused: the speaker is still ending the last session (or, BIRD, in its error wait).
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The Established session, (re)made when needed. */
  async established(): Promise<RawConn> {
    if (this.conn && this.up && !this.conn.closed) return this.conn;
    this.drop();
    const conn = await rawSession({
      nsPath: this.target.nsPath,
      remoteAddress: this.target.remote,
      localAddress: this.address,
      kind: this.kind,
      asn: this.target.asn,
    }).catch(async () => {
      // Tortie may still be closing the previous connection: wait for it and try once more.
      await this.ready();
      return rawSession({
        nsPath: this.target.nsPath,
        remoteAddress: this.target.remote,
        localAddress: this.address,
        kind: this.kind,
        asn: this.target.asn,
      });
    });
    this.conn = conn;
    this.up = true;
    this.report.sessions++;
    return conn;
  }

  drop(): void {
    this.conn?.destroy();
    this.conn = undefined;
    this.up = false;
  }
}

/** What became of one input on a connection, from the messages after `mark`. */
async function outcomeOf(
  conn: RawConn,
  mark: number,
  phase: Phase,
  stallMs: number,
): Promise<{ outcome: Outcome; detail: string; notification?: string; length?: number }> {
  const seen = await until(() => {
    for (let i = mark; i < conn.received.length; i++) {
      const m = conn.received[i]!;
      if (m.type === "notification")
        return { outcome: "notification" as const, i, code: `${m.code}/${m.subcode}` };
      if (phase === "established" && m.type === "route-refresh" && m.subtype === 2 && m.afi === 1)
        return { outcome: "processed" as const, i };
      if (phase === "open" && m.type === "keepalive") return { outcome: "processed" as const, i };
    }
    return conn.closed ? { outcome: "close" as const, i: -1 } : undefined;
  }, stallMs);
  if (!seen) return { outcome: "stall", detail: `no answer within ${stallMs} ms` };
  if (seen.outcome === "notification")
    return {
      outcome: "notification",
      detail: `${seen.code!} (${conn.frames[seen.i]!.length} octets)`,
      notification: seen.code!,
      length: conn.frames[seen.i]!.length,
    };
  return { outcome: seen.outcome, detail: "" };
}

/**
 * Runs the campaign: `messages` inputs per session kind, the kinds in
 * parallel. Resolves with the tallies and the findings (never rejects for a
 * finding; rejects if the raw peers cannot get a session at all).
 */
export async function fuzzWire(target: FuzzTarget, opts: FuzzOptions): Promise<FuzzReport> {
  const report = emptyReport();
  const stallMs = opts.stallMs ?? 3000;
  const openShare = opts.openShare ?? 0.15;
  const inFlight = new Map<SessionKind, Omit<Finding, "outcome" | "detail">>();
  const escaped = (e: unknown) => {
    for (const f of inFlight.values()) {
      const finding: Finding = { ...f, outcome: "crash", detail: String((e as Error)?.stack ?? e) };
      report.findings.push(finding);
      report.outcomes.crash++;
      opts.onFinding?.(finding);
    }
  };
  process.on("uncaughtException", escaped);
  process.on("unhandledRejection", escaped);
  const t0 = performance.now();
  const kinds = Object.keys(target.peers) as SessionKind[];
  const total = kinds.length * opts.messages;
  try {
    await Promise.all(
      kinds.map(async (kind) => {
        const address = target.peers[kind]!;
        const peer = new Peer(target, kind, address, report);
        const seeds = seedsFor(kind, address, target.asn);
        const opens = seeds.filter((s) => s.type === "open");
        const others = seeds.filter((s) => s.type !== "open");
        const rng = new Rng(subSeed(opts.seed, kind));
        try {
          for (let index = 0; index < opts.messages; index++) {
            const phase: Phase = rng.next() < openShare ? "open" : "established";
            const seed: Seed = rng.pick(phase === "open" ? opens : others);
            const { bytes, ops } = mutate(seed.bytes, rng);
            const max =
              phase === "open"
                ? maxMessageLength(DEFAULT_CONTEXT)
                : maxMessageLength(kindContext(kind));
            const wire = concat(bytes, completion(bytes, max));
            const base = { kind, phase, index, seed: seed.name, ops, hex: hex(wire) };
            inFlight.set(kind, base);
            const r = await sendOne(peer, phase, wire, stallMs);
            inFlight.delete(kind);
            report.messages++;
            report.bySeedType[seed.type]++;
            record(report, r, max, base, opts);
            opts.onProgress?.(report.messages, total);
          }
        } finally {
          peer.drop();
        }
      }),
    );
  } finally {
    process.off("uncaughtException", escaped);
    process.off("unhandledRejection", escaped);
    report.ms = performance.now() - t0;
  }
  return report;
}

function record(
  report: FuzzReport,
  r: Awaited<ReturnType<typeof outcomeOf>>,
  max: number,
  base: Omit<Finding, "outcome" | "detail">,
  opts: Pick<FuzzOptions, "onFinding">,
): void {
  report.outcomes[r.outcome]++;
  if (r.notification)
    report.notifications[r.notification] = (report.notifications[r.notification] ?? 0) + 1;
  let finding: Finding | undefined;
  if (r.outcome === "stall") finding = { ...base, outcome: "stall", detail: r.detail };
  if (r.length !== undefined && r.length > max) {
    report.outcomes.oversize++;
    finding = { ...base, outcome: "oversize", detail: `${r.detail}: ${r.length} > ${max} octets` };
  }
  if (finding) {
    report.findings.push(finding);
    opts.onFinding?.(finding);
  }
}

/** Sends one completed input in its phase and classifies the answer. */
async function sendOne(peer: Peer, phase: Phase, wire: Uint8Array, stallMs: number) {
  if (phase === "open") {
    const conn = await peer.fresh();
    const mark = conn.received.length;
    conn.send(wire);
    const r = await outcomeOf(conn, mark, "open", stallMs);
    peer.drop(); // an OPEN case always ends its connection
    return r;
  }
  const conn = await peer.established();
  const mark = conn.received.length;
  conn.send(concat(wire, PROBE));
  const r = await outcomeOf(conn, mark, "established", stallMs);
  if (r.outcome !== "processed") peer.drop();
  return r;
}

/** Replays findings (or any inputs) one by one on fresh sessions; returns what each got now. */
export async function replay(
  target: FuzzTarget,
  inputs: readonly Pick<Finding, "kind" | "phase" | "hex">[],
  stallMs = 3000,
): Promise<{ input: Pick<Finding, "kind" | "phase" | "hex">; outcome: Outcome; detail: string }[]> {
  const report = emptyReport();
  const out: {
    input: Pick<Finding, "kind" | "phase" | "hex">;
    outcome: Outcome;
    detail: string;
  }[] = [];
  const escapedErrors: unknown[] = [];
  const onEscape = (e: unknown) => escapedErrors.push(e);
  process.on("uncaughtException", onEscape);
  process.on("unhandledRejection", onEscape);
  try {
    for (const input of inputs) {
      const address = target.peers[input.kind];
      if (!address) throw new Error(`no raw peer for session kind ${input.kind}`);
      const peer = new Peer(target, input.kind, address, report);
      const wire = Uint8Array.from(Buffer.from(input.hex, "hex"));
      const before = escapedErrors.length;
      const r = await sendOne(peer, input.phase, wire, stallMs);
      peer.drop();
      const max =
        input.phase === "open"
          ? maxMessageLength(DEFAULT_CONTEXT)
          : maxMessageLength(kindContext(input.kind));
      if (escapedErrors.length > before)
        out.push({ input, outcome: "crash", detail: String(escapedErrors[before]) });
      else if (r.length !== undefined && r.length > max)
        out.push({ input, outcome: "oversize", detail: `${r.detail}: ${r.length} > ${max}` });
      else out.push({ input, outcome: r.outcome, detail: r.detail });
    }
  } finally {
    process.off("uncaughtException", onEscape);
    process.off("unhandledRejection", onEscape);
  }
  return out;
}
