// The connection's bookkeeping against a fake kernel: sequence numbers, one
// ACK per batch chunk, refusals mapped to the right item, dumps until DONE.
import { describe, expect, it } from "vitest";
import { Writer } from "../wire/bytes.js";
import { NlmFlags, NlmsgType, Rtm } from "../wire/constants.js";
import { beginMessage, encodeError, endMessage, splitMessages } from "../wire/header.js";
import { Connection, type PacketSocket } from "./connection.js";

/** A fake rtnetlink: refuses routes whose table is 13, ACKs when asked, answers dumps. */
class FakeKernel implements PacketSocket {
  readonly queue: Uint8Array[] = [];
  readonly sends: number[] = [];
  isClosed = false;
  send(bytes: Uint8Array): void {
    const frames = splitMessages(bytes);
    this.sends.push(frames.length);
    const w = new Writer();
    for (const f of frames) {
      const h = f.header;
      if (h.type === Rtm.getLink && (h.flags & NlmFlags.dump) === NlmFlags.dump) {
        for (let i = 0; i < 3; i++) {
          const out = new Writer();
          const at = beginMessage(out, { type: Rtm.newLink, flags: NlmFlags.multi, seq: h.seq });
          out.u8(0);
          out.u8(0);
          out.u16(1);
          out.i32(i + 1);
          out.u32(0);
          out.u32(0);
          endMessage(out, at);
          this.queue.push(out.finish());
        }
        const done = new Writer();
        const at = beginMessage(done, { type: NlmsgType.done, flags: NlmFlags.multi, seq: h.seq });
        done.i32(0);
        endMessage(done, at);
        this.queue.push(done.finish());
        continue;
      }
      const refused = f.payload[4] === 13; // rtm_table
      if (refused) {
        encodeError(
          w,
          { type: 0, flags: 0, seq: h.seq },
          { errno: 101, request: h, message: "no" },
        );
      } else if (h.flags & NlmFlags.ack) {
        encodeError(w, { type: 0, flags: 0, seq: h.seq }, { errno: 0, request: h });
      }
      if (w.length) {
        this.queue.push(w.finish());
        w.reset();
      }
    }
  }
  recv(): Uint8Array | undefined {
    return this.queue.shift();
  }
  async readable(): Promise<boolean> {
    return this.queue.length > 0;
  }
  close(): void {
    this.isClosed = true;
  }
}

const route = (table: number) => ({
  type: Rtm.newRoute,
  flags: NlmFlags.create | NlmFlags.replace,
  body: {
    kind: "route" as const,
    route: { family: 2, dst: "198.18.0.1/32", table, protocol: 84, scope: 0, type: 1 },
  },
});

describe("Connection against a fake kernel", () => {
  it("batches: several messages per send, refusals reported by index, the rest applied", async () => {
    const k = new FakeKernel();
    const c = new Connection(k);
    const items = Array.from({ length: 2000 }, (_, i) => route(i % 500 === 7 ? 13 : 254));
    const r = await c.batch("ip route replace", items, { chunkBytes: 8192 });
    expect(r.sent).toBe(2000);
    expect(r.failures.map((f) => f.index)).toEqual([7, 507, 1007, 1507]);
    expect(r.failures[0]!.error).toMatchObject({ code: "ENETUNREACH", kernelMessage: "no" });
    expect(k.sends.length).toBeGreaterThan(1);
    expect(k.sends.reduce((a, b) => a + b, 0)).toBe(2000);
    expect(Math.max(...k.sends)).toBeLessThan(2000);
  });

  it("a refused last message of a chunk still ends the chunk", async () => {
    const k = new FakeKernel();
    const c = new Connection(k);
    const r = await c.batch("x", [route(254), route(13)]);
    expect(r.failures.map((f) => f.index)).toEqual([1]);
  });

  it("requests map refusals to NetlinkError and dumps collect until DONE", async () => {
    const k = new FakeKernel();
    const c = new Connection(k);
    await expect(
      c.request("ip route add", route(13).type, 0, route(13).body),
    ).rejects.toMatchObject({
      name: "NetlinkError",
      code: "ENETUNREACH",
      operation: "ip route add",
    });
    await expect(c.request("ip route add", route(1).type, 0, route(1).body)).resolves.toEqual([]);
    const d = await c.dump("ip link show", Rtm.getLink, { kind: "rtgen", family: 0 });
    expect(d.messages.map((m) => (m.kind === "link" ? m.link.index : -1))).toEqual([1, 2, 3]);
    expect(d.interrupted).toBe(false);
  });
});
