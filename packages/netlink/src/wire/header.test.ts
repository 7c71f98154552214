import { describe, expect, it } from "vitest";
import { Writer } from "./bytes.js";
import { NlmFlags, NlmsgType, Rtm } from "./constants.js";
import { NetlinkDecodeError } from "./errors.js";
import { dumpFixtures } from "./fixtures.js";
import { decodeError, encodeError, messageLength, NLMSG_HDRLEN, splitMessages } from "./header.js";
import { decodeMessages, encode } from "./message.js";

describe("nlmsghdr framing", () => {
  it("frames a multipart datagram at every split point only when complete", () => {
    const d = dumpFixtures().find((f) => f.name === "routes4")!.datagrams[0]!;
    const frames = splitMessages(d);
    expect(frames.length).toBeGreaterThan(3);
    for (const f of frames) expect(f.header.flags & NlmFlags.multi).toBe(NlmFlags.multi);
    const first = messageLength(d);
    for (let cut = 0; cut < first; cut++) {
      expect(() => messageLength(d.subarray(0, cut))).toThrow(NetlinkDecodeError);
    }
    expect(messageLength(d.subarray(0, first))).toBe(first);
  });

  it("encodes a header with length, type, flags, seq and pid", () => {
    const b = encode(
      { type: Rtm.getLink, flags: NlmFlags.request | NlmFlags.dump, seq: 7, pid: 9 },
      { kind: "rtgen", family: 0 },
    );
    expect(Array.from(b)).toEqual([
      20, 0, 0, 0, 18, 0, 0x01, 0x03, 7, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0,
    ]);
  });

  it("NLMSG_ERROR with extended ACK carries errno and the kernel's text", () => {
    const w = new Writer();
    const request = { length: 44, type: Rtm.newRoute, flags: 0x605, seq: 3, pid: 0 };
    encodeError(
      w,
      { type: 0, flags: 0, seq: 3 },
      { errno: 101, request, message: "Nexthop has invalid gateway" },
    );
    const [m] = decodeMessages(w.finish());
    expect(m?.kind).toBe("error");
    if (m?.kind !== "error") return;
    expect(m.header.type).toBe(NlmsgType.error);
    expect(m.error).toMatchObject({ errno: 101, message: "Nexthop has invalid gateway" });
    expect(m.error.request).toEqual(request);
  });

  it("an uncapped NLMSG_ERROR skips the quoted request to reach the TLVs", () => {
    // error=-17, quoted request of 24 bytes (header + 8 payload), then MSG "x"
    const p = new Uint8Array(4 + 24 + 8);
    const v = new DataView(p.buffer);
    v.setInt32(0, -17, true);
    v.setUint32(4, 24, true);
    v.setUint16(8, Rtm.newAddr, true);
    v.setUint16(4 + 24, 6, true);
    v.setUint16(4 + 26, 1, true);
    p[4 + 28] = "x".charCodeAt(0);
    expect(decodeError(p, NlmFlags.ackTlvs)).toMatchObject({ errno: 17, message: "x" });
    expect(() => decodeError(p.subarray(0, 10), 0)).toThrow(NetlinkDecodeError);
  });

  it("NLMSG_DONE, with and without an error code", () => {
    const done = new Uint8Array(NLMSG_HDRLEN + 4);
    const v = new DataView(done.buffer);
    v.setUint32(0, done.length, true);
    v.setUint16(4, NlmsgType.done, true);
    v.setInt32(16, -4, true);
    expect(decodeMessages(done)[0]).toMatchObject({ kind: "done", errno: 4 });
  });
});
