// A feeder that costs next to nothing: it replays, over a real eBGP session,
// the UPDATEs a BIRD feeder sent once (captured byte for byte), as fast as
// TCP takes them. With BIRD feeding, both receivers finish within ~20 ms of
// the feeder's own CPU time (docs/benchmarks/bgp-ingest.md, table 26): the
// wall time measures the feeder, not the receiver. Replayed, the receiver is
// what the wall time measures.
//
// Plain Node and a hand-written framing (RFC 4271 §4): no Tortie code, so the
// feeder and the receiver under test share nothing. Two modes, each run as
// `node replay-feed.mjs <mode> …` inside a network namespace:
//
//   capture --listen A --asn N --router-id R --prefixes P --out FILE
//     listens on A:179 (prints `listening`), takes one session (OPEN with MP IPv4 unicast,
//     route refresh and 4-octet AS, RFC 5492), writes the UPDATEs received
//     until P prefixes were announced, prints `captured <messages> <octets>`
//     and exits.
//   replay --from A --to B --asn N --router-id R --file FILE
//     prints `ready` once FILE is read, waits for `go` on stdin, opens a
//     session from A to B:179 (the same capabilities), prints `established`
//     when the receiver's KEEPALIVE arrives (RFC 4271 §8.2.2: OpenConfirm →
//     Established), writes FILE in one go, prints `written` when the kernel
//     took the last octet, then keeps the session up (KEEPALIVE every 10 s)
//     until SIGTERM or the end of stdin.
import { readFileSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type Socket } from "node:net";
import { parseArgs } from "node:util";

const MARKER = Buffer.alloc(16, 0xff);
const HOLD_TIME = 240;

/** REPLAY_TRACE=1: each step of the session on stderr, with the wall clock in ms. */
const trace = process.env.REPLAY_TRACE
  ? (what: string) => process.stderr.write(`replay-feed ${process.pid} ${Date.now()} ${what}\n`)
  : () => {};

/** One message: marker, length, type (RFC 4271 §4.1), then `body`. */
function message(type: number, body: Buffer): Buffer {
  const len = Buffer.alloc(3);
  len.writeUInt16BE(19 + body.length, 0);
  len[2] = type;
  return Buffer.concat([MARKER, len, body]);
}

/** An OPEN (RFC 4271 §4.2) with MP IPv4 unicast (RFC 4760), route refresh (RFC 2918) and 4-octet AS (RFC 6793). */
function open(asn: number, routerId: string): Buffer {
  const caps = Buffer.from([1, 4, 0, 1, 0, 1, 2, 0, 65, 4, 0, 0, 0, 0]);
  caps.writeUInt32BE(asn, 10);
  const body = Buffer.alloc(10);
  body[0] = 4;
  body.writeUInt16BE(asn > 0xffff ? 23456 : asn, 1);
  body.writeUInt16BE(HOLD_TIME, 3);
  routerId.split(".").forEach((o, i) => {
    body[5 + i] = Number(o);
  });
  body[9] = 2 + caps.length;
  return Buffer.concat([body, Buffer.from([2, caps.length]), caps]);
}

const KEEPALIVE = message(4, Buffer.alloc(0));

/** Splits a byte stream into whole messages (type and the whole message). */
class Frames {
  private buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): { type: number; msg: Buffer }[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: { type: number; msg: Buffer }[] = [];
    while (this.buf.length >= 19) {
      const len = this.buf.readUInt16BE(16);
      if (len < 19 || len > 65535) throw new Error(`bad message length ${len}`);
      if (this.buf.length < len) break;
      out.push({ type: this.buf[18]!, msg: this.buf.subarray(0, len) });
      this.buf = this.buf.subarray(len);
    }
    return out;
  }
}

/** Prefixes announced in an UPDATE's NLRI field (RFC 4271 §4.3). */
function announced(msg: Buffer): number {
  const withdrawn = msg.readUInt16BE(19);
  const attrs = msg.readUInt16BE(21 + withdrawn);
  let n = 0;
  for (let i = 23 + withdrawn + attrs; i < msg.length; i += 1 + Math.ceil(msg[i]! / 8)) n++;
  return n;
}

/** Sends our OPEN, answers the peer's with a KEEPALIVE; `onMessage` sees everything after. */
function session(
  sock: Socket,
  asn: number,
  routerId: string,
  onEstablished: () => void,
  onMessage: (type: number, msg: Buffer) => void,
): void {
  const frames = new Frames();
  let state: "OpenSent" | "OpenConfirm" | "Established" = "OpenSent";
  sock.setNoDelay(true);
  trace("connected, OPEN sent");
  sock.write(message(1, open(asn, routerId)));
  sock.on("data", (chunk: Buffer) => {
    for (const { type, msg } of frames.push(chunk)) {
      if (type === 3) throw new Error(`NOTIFICATION ${msg[19]}/${msg[20]} from the peer`);
      if (state === "OpenSent" && type === 1) {
        trace("OPEN received");
        sock.write(KEEPALIVE);
        state = "OpenConfirm";
      } else if (state === "OpenConfirm" && type === 4) {
        state = "Established";
        trace("KEEPALIVE received: Established");
        onEstablished();
      } else if (state === "Established") onMessage(type, msg);
    }
  });
  const keepalive = setInterval(() => sock.write(KEEPALIVE), 10_000);
  sock.on("close", () => clearInterval(keepalive));
}

const [mode, ...rest] = process.argv.slice(2);
const { values: opt } = parseArgs({
  args: rest,
  options: {
    listen: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    asn: { type: "string" },
    "router-id": { type: "string" },
    prefixes: { type: "string" },
    out: { type: "string" },
    file: { type: "string" },
  },
});
const asn = Number(opt.asn);
const routerId = opt["router-id"] ?? "";

if (mode === "capture") {
  const want = Number(opt.prefixes);
  const kept: Buffer[] = [];
  let prefixes = 0;
  const server = createServer((sock) => {
    server.close();
    session(
      sock,
      asn,
      routerId,
      () => {},
      (type, msg) => {
        if (type !== 2) return;
        kept.push(Buffer.from(msg));
        prefixes += announced(msg);
        if (prefixes >= want) {
          const all = Buffer.concat(kept);
          writeFileSync(opt.out!, all);
          console.log(`captured ${kept.length} ${all.length}`);
          process.exit(0);
        }
      },
    );
  });
  server.listen(179, opt.listen, () => console.log("listening"));
} else if (mode === "replay") {
  const updates = readFileSync(opt.file!);
  console.log("ready");
  process.stdin.once("data", () => {
    trace("go");
    const sock = createConnection({ host: opt.to, port: 179, localAddress: opt.from });
    sock.on("error", (e) => {
      console.error(`replay-feed: ${e.message}`);
      process.exit(1);
    });
    session(
      sock,
      asn,
      routerId,
      () => {
        console.log("established");
        sock.write(updates, () => console.log("written"));
      },
      () => {},
    );
  });
  process.on("SIGTERM", () => process.exit(0));
  // (the benchmark gone — its end of the pipe closed — ends the feeder too)
  process.stdin.on("end", () => process.exit(0));
} else {
  console.error("usage: replay-feed capture|replay …");
  process.exit(2);
}
