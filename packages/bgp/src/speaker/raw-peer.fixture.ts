// A hand-driven BGP connection for integration tests: the test writes
// messages (or raw bytes) and reads what Tortie sends, decoded, with the
// exact bytes of each message kept beside it.
import type { Socket } from "node:net";
import { waitFor } from "@tortie/testbed";
import {
  type BgpMessage,
  type Capability,
  type CodecContext,
  codecContext,
  decodeMessage,
  encodeMessage,
  Framer,
  MAX_EXTENDED_MESSAGE_LENGTH,
  type OpenMessage,
  openMessage,
} from "../wire/index.js";
import { connectTcp } from "./transport.js";

/** Both sides announce 4-octet AS support in our OPENs, so the session is 4-octet. */
export const CTX4: CodecContext = codecContext({ fourOctetAs: true });

/** One TCP connection carrying BGP, driven by the test. */
export class RawConn {
  readonly received: BgpMessage[] = [];
  /** The bytes of each received message, index for index with `received`. */
  readonly frames: Uint8Array[] = [];
  // Tortie may send extended messages once negotiated; the test decides what that means.
  private readonly framer = new Framer({ maxLength: MAX_EXTENDED_MESSAGE_LENGTH });
  private isClosed = false;

  /**
   * @param ctx how Tortie's messages are decoded and ours encoded (default 4-octet AS).
   *   Decoding allows extended messages whatever `ctx` says, so an over-long reply
   *   is seen (and can be asserted on) rather than hidden by a decode error here.
   */
  constructor(
    readonly socket: Socket,
    public ctx: CodecContext = CTX4,
  ) {
    socket.on("data", (chunk) => {
      for (const m of this.framer.push(chunk)) {
        this.frames.push(m.slice());
        this.received.push(decodeMessage(m, { ...this.ctx, extendedMessage: true }).message);
      }
    });
    socket.on("close", () => {
      this.isClosed = true;
    });
    socket.on("error", () => {});
  }

  get closed(): boolean {
    return this.isClosed;
  }

  send(msg: BgpMessage | Uint8Array): void {
    this.socket.write(msg instanceof Uint8Array ? msg : encodeMessage(msg, this.ctx));
  }

  /** Sends an OPEN for `asn` with identifier `bgpId` (4-octet AS capability included). */
  open(asn: number, bgpId: string, holdTime = 90): void {
    this.send(openMessage({ asn, holdTime, bgpId }));
  }

  keepalive(): void {
    this.send({ type: "keepalive" });
  }

  /** Waits for a message matching `pred` among those received. */
  waitFor<T extends BgpMessage>(
    pred: (m: BgpMessage) => m is T,
    what: string,
    timeoutMs?: number,
  ): Promise<T>;
  waitFor(pred: (m: BgpMessage) => boolean, what: string, timeoutMs?: number): Promise<BgpMessage>;
  waitFor(pred: (m: BgpMessage) => boolean, what: string, timeoutMs = 10_000): Promise<BgpMessage> {
    return waitFor(() => this.received.find(pred), { what, timeoutMs });
  }

  /** The NOTIFICATIONs received so far, with their wire length. */
  notifications(): { code: number; subcode: number; data: Uint8Array; length: number }[] {
    const out: { code: number; subcode: number; data: Uint8Array; length: number }[] = [];
    this.received.forEach((m, i) => {
      if (m.type === "notification")
        out.push({
          code: m.code,
          subcode: m.subcode,
          data: Uint8Array.from(m.data),
          length: this.frames[i]!.length,
        });
    });
    return out;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Resolves when the socket connects. */
export function connected(s: Socket): Promise<Socket> {
  return new Promise((resolve, reject) => {
    s.once("connect", () => resolve(s));
    s.once("error", reject);
  });
}

/** The session kinds a raw peer can ask for in its OPEN. */
export type SessionKind = "2-octet" | "4-octet" | "add-path" | "extended";

/** What the raw peer's OPEN announces for each kind (IPv4 unicast, route refresh, enhanced). */
export function kindOpen(
  kind: SessionKind,
  asn: number,
  bgpId: string,
  holdTime = 90,
): OpenMessage {
  const caps: Capability[] = [
    { type: "multiprotocol", afi: 1, safi: 1 },
    { type: "route-refresh" },
    { type: "enhanced-route-refresh" },
  ];
  if (kind === "extended") caps.push({ type: "extended-message" });
  if (kind === "add-path")
    caps.push({ type: "add-path", families: [{ afi: 1, safi: 1, mode: 3 }] });
  if (kind !== "2-octet") caps.push({ type: "four-octet-as", asn });
  if (kind === "2-octet" && asn > 0xffff) throw new Error("2-octet peer needs a 2-octet AS");
  return { type: "open", version: 4, myAs: asn, holdTime, bgpId, capabilities: caps };
}

/** The codec context a session of `kind` with Tortie ends up with. */
export function kindContext(kind: SessionKind): CodecContext {
  const v4 = [{ afi: 1, safi: 1 }];
  return codecContext({
    fourOctetAs: kind !== "2-octet",
    extendedMessage: kind === "extended",
    ...(kind === "add-path" ? { addPath: { receive: v4, send: v4 } } : {}),
  });
}

/**
 * Connects from `localAddress` in `nsPath` to Tortie, exchanges OPENs for a
 * session of `kind` and sends the KEEPALIVE that makes it Established on
 * Tortie's side. The connection's context is the negotiated one.
 */
export async function rawSession(opts: {
  nsPath: string;
  remoteAddress: string;
  localAddress: string;
  kind: SessionKind;
  asn: number;
  holdTime?: number;
}): Promise<RawConn> {
  const sock = connectTcp({
    remoteAddress: opts.remoteAddress,
    remotePort: 179,
    localAddress: opts.localAddress,
    netns: opts.nsPath,
  });
  const conn = new RawConn(await connected(sock), codecContext());
  conn.send(kindOpen(opts.kind, opts.asn, opts.localAddress, opts.holdTime ?? 90));
  await conn.waitFor((m) => m.type === "open", "Tortie's OPEN");
  conn.ctx = kindContext(opts.kind);
  conn.keepalive();
  return conn;
}

/** {@link rawSession} whose socket is destroyed after the test. */
export async function trackedRawSession(
  tb: { defer(fn: () => unknown): void },
  opts: Parameters<typeof rawSession>[0],
): Promise<RawConn> {
  const conn = await rawSession(opts);
  tb.defer(() => conn.socket.destroy());
  return conn;
}

/** A tracked 4-octet session from `localAddress` (in `nsPath`) to Tortie at `remoteAddress`. */
export function trackedRaw4(
  tb: { defer(fn: () => unknown): void },
  nsPath: string,
  localAddress: string,
  asn: number,
  remoteAddress: string,
): Promise<RawConn> {
  return trackedRawSession(tb, { nsPath, remoteAddress, localAddress, kind: "4-octet", asn });
}
