// A hand-driven BGP connection for integration tests: the test writes
// messages (or raw bytes) and reads what Tortie sends, decoded.
import type { Socket } from "node:net";
import { waitFor } from "@tortie/testbed";
import {
  type BgpMessage,
  type CodecContext,
  codecContext,
  decodeMessage,
  encodeMessage,
  Framer,
  openMessage,
} from "../wire/index.js";

/** Both sides announce 4-octet AS support in our OPENs, so the session is 4-octet. */
export const CTX4: CodecContext = codecContext({ fourOctetAs: true });

/** One TCP connection carrying BGP, driven by the test. */
export class RawConn {
  readonly received: BgpMessage[] = [];
  private readonly framer = new Framer();
  private isClosed = false;

  constructor(readonly socket: Socket) {
    socket.on("data", (chunk) => {
      for (const m of this.framer.push(chunk)) this.received.push(decodeMessage(m, CTX4).message);
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
    this.socket.write(msg instanceof Uint8Array ? msg : encodeMessage(msg, CTX4));
  }

  /** Sends an OPEN for `asn` with identifier `bgpId` (4-octet AS capability included). */
  open(asn: number, bgpId: string, holdTime = 90): void {
    this.send(openMessage({ asn, holdTime, bgpId }));
  }

  keepalive(): void {
    this.send({ type: "keepalive" });
  }

  /** Waits for a message matching `pred` among those received. */
  waitFor<T extends BgpMessage>(pred: (m: BgpMessage) => m is T, what: string): Promise<T>;
  waitFor(pred: (m: BgpMessage) => boolean, what: string): Promise<BgpMessage>;
  waitFor(pred: (m: BgpMessage) => boolean, what: string): Promise<BgpMessage> {
    return waitFor(() => this.received.find(pred), { what, timeoutMs: 10_000 });
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
