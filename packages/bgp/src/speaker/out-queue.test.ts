// OutQueue over a real loopback TCP connection: changes coalesced into few
// UPDATEs, families the session did not negotiate left out, and back-pressure
// — a receiver that stops reading stops the taking, and reading again
// resumes it until everything is delivered.
import { once } from "node:events";
import { connect, createServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { AdjRibOut } from "../rib/adj-rib-out.js";
import { AttrInterner } from "../rib/attrs.js";
import { codecContext } from "../wire/context.js";
import { Framer } from "../wire/framer.js";
import { decodeMessage } from "../wire/message.js";
import { parsePrefix } from "../wire/prefix.js";
import { OutQueue } from "./out-queue.js";

const CTX = codecContext({ fourOctetAs: true });
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

/** A connected pair on 127.0.0.1: `tx` is ours, `rx` the peer's. */
async function pair(): Promise<{ tx: Socket; rx: Socket }> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  const tx = connect(port, "127.0.0.1");
  const [rx] = (await once(server, "connection")) as [Socket];
  await once(tx, "connect");
  cleanup.push(() => {
    tx.destroy();
    rx.destroy();
    server.close();
  });
  return { tx, rx };
}

/** Collects the UPDATE messages the peer reads. */
function reader(rx: Socket) {
  const framer = new Framer();
  const prefixes: string[] = [];
  let messages = 0;
  rx.on("data", (chunk: Buffer) => {
    for (const m of framer.push(chunk)) {
      const d = decodeMessage(m, CTX).message;
      if (d.type !== "update") continue;
      messages++;
      for (const p of d.nlri) prefixes.push(`${p.bytes.join(".")}/${p.length}`);
    }
  });
  return {
    prefixes,
    get messages() {
      return messages;
    },
  };
}

function attrsFor(interner: AttrInterner, med: number, bulk = 0) {
  return interner.intern({
    attributes: [
      { type: "origin", origin: 0 },
      { type: "as-path", segments: [{ type: 2, asns: [64500] }] },
      { type: "med", med },
      ...(bulk > 0
        ? [{ type: "unknown" as const, code: 0x63, flags: 0xc0, value: new Uint8Array(bulk) }]
        : []),
    ],
    nextHop: "192.0.2.2",
  });
}

const until = async (cond: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("OutQueue", () => {
  it("coalesces a burst into a few UPDATEs and leaves out families not negotiated", async () => {
    const { tx, rx } = await pair();
    const got = reader(rx);
    const interner = new AttrInterner();
    const out = new AdjRibOut(interner);
    const q = new OutQueue(out, tx, CTX, 5, {
      open: () => true,
      carries: (p) => p.afi === 1,
      sent: () => {},
      guard: (_w, fn) => fn(),
    });
    cleanup.push(() => q.close());
    const a = attrsFor(interner, 1);
    // 1,000 prefixes, each changed twice before the tick: sent once, in their final state.
    for (let i = 0; i < 1000; i++) {
      const p = parsePrefix(`198.18.${i >> 8}.${i & 255}/32`);
      interner.retain(a);
      out.set(p, a);
      interner.retain(a);
      out.set(p, a);
    }
    interner.retain(a);
    out.set(parsePrefix("2001:db8::/48"), a);
    q.schedule();
    let idle = false;
    q.whenIdle(() => {
      idle = true;
    });
    await until(() => got.prefixes.length === 1000);
    expect(idle).toBe(true);
    expect(new Set(got.prefixes).size).toBe(1000);
    // 1,000 /32s of 5 octets each fit in two 4,096-octet UPDATEs.
    expect(got.messages).toBeLessThanOrEqual(3);
    expect(out.pendingCount).toBe(0);
  });

  it("stops taking when the socket pushes back and resumes on 'drain'", async () => {
    const { tx, rx } = await pair();
    rx.pause();
    const got = reader(rx);
    const interner = new AttrInterner();
    const out = new AdjRibOut(interner);
    let writes = 0;
    const q = new OutQueue(out, tx, CTX, 0, {
      open: () => true,
      carries: () => true,
      sent: () => {
        writes++;
      },
      guard: (_w, fn) => fn(),
    });
    cleanup.push(() => q.close());
    // 10,000 routes, each its own 1,000-octet attribute set: about 10 MB of UPDATEs.
    const N = 10_000;
    for (let i = 0; i < N; i++)
      out.set(parsePrefix(`198.18.${i >> 8}.${i & 255}/32`), attrsFor(interner, i, 1000));
    q.flush();
    expect(q.blocked).toBe(true);
    // Most of the table is still coalesced in the Adj-RIB-Out, not in socket buffers.
    expect(out.pendingCount).toBeGreaterThan(N / 2);
    const whileBlocked = writes;
    await new Promise((r) => setTimeout(r, 100));
    expect(writes).toBe(whileBlocked);
    rx.resume();
    await until(() => got.prefixes.length === N, 20_000);
    expect(out.pendingCount).toBe(0);
    expect(q.blocked).toBe(false);
  });
});
