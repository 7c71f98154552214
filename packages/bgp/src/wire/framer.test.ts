import { describe, expect, it } from "vitest";
import { fixtureFiles, loadFixture } from "../../test/fixtures/load.js";
import { codecContext } from "./context.js";
import { BgpDecodeError } from "./errors.js";
import { Framer } from "./framer.js";
import { checkHeader, maxMessageLength, messageLength } from "./header.js";
import { encodeMessage } from "./message.js";
import { fitNotification, notificationMessage } from "./messages/notification.js";

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const hex = (ms: Uint8Array[]) => ms.map((m) => Buffer.from(m).toString("hex"));

describe("messageLength", () => {
  const keepalive = Uint8Array.from([...new Array(16).fill(0xff), 0, 19, 4]);

  it("returns the length once a whole header is there", () => {
    expect(messageLength(keepalive)).toBe(19);
    expect(messageLength(keepalive.subarray(0, 18))).toBeUndefined();
    expect(messageLength(concat([keepalive, keepalive]), 19)).toBe(19);
  });

  it("rejects a bad marker (Connection Not Synchronized) and a length below 19", () => {
    const bad = keepalive.slice();
    bad[3] = 0;
    expect(() => messageLength(bad)).toThrow(expect.objectContaining({ code: 1, subcode: 1 }));
    const short = keepalive.slice();
    short[17] = 18;
    expect(() => messageLength(short)).toThrow(
      expect.objectContaining({ code: 1, subcode: 2, data: Uint8Array.of(0, 18) }),
    );
  });
});

describe("Framer over real captured streams", () => {
  const files = fixtureFiles();

  it.each(files)("%s: every two-way split point yields the same messages", (file) => {
    const { messages } = loadFixture(file);
    const stream = concat(messages);
    const want = hex(messages);
    for (let cut = 0; cut <= stream.length; cut++) {
      const f = new Framer();
      const got = [...f.push(stream.subarray(0, cut)), ...f.push(stream.subarray(cut))];
      expect(f.buffered).toBe(0);
      expect(hex(got)).toEqual(want);
    }
  });

  it("byte-by-byte and three-way splits of the longest capture", () => {
    const longest = files
      .map(loadFixture)
      .sort((a, b) => b.messages.length - a.messages.length)[0]!;
    const stream = concat(longest.messages);
    const want = hex(longest.messages);
    const f = new Framer();
    const got: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i++) got.push(...f.push(stream.subarray(i, i + 1)));
    expect(hex(got)).toEqual(want);
    for (let a = 0; a < stream.length; a += 7) {
      for (let b = a; b < stream.length; b += 53) {
        const g = new Framer();
        const out = [
          ...g.push(stream.subarray(0, a)),
          ...g.push(stream.subarray(a, b)),
          ...g.push(stream.subarray(b)),
        ];
        expect(out.length).toBe(want.length);
      }
    }
  });

  it("assembles a 65,535-octet message pushed one octet at a time (linear work)", () => {
    const big = new Uint8Array(65535);
    big.fill(0xff, 0, 16);
    big[16] = 0xff;
    big[17] = 0xff;
    big[18] = 2;
    const f = new Framer({ maxLength: 65535 });
    const got: Uint8Array[] = [];
    const t0 = performance.now();
    for (let i = 0; i < big.length; i++) got.push(...f.push(big.subarray(i, i + 1)));
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(got).toHaveLength(1);
    expect(got[0]).toEqual(big);
  });

  it("keeps an incomplete tail buffered and throws on a corrupt header", () => {
    const { messages } = loadFixture(files[0]!);
    const f = new Framer();
    expect(f.push(messages[0]!.subarray(0, 10))).toEqual([]);
    expect(f.buffered).toBe(10);
    const junk = new Uint8Array(19);
    const g = new Framer();
    expect(() => g.push(junk)).toThrow(BgpDecodeError);
  });
});

/** A header (RFC 4271 §4.1) with `length` and `type`, and `body` octets after it. */
const hdr = (length: number, type: number, body = 0) => {
  const b = new Uint8Array(19 + body);
  b.fill(0xff, 0, 16);
  b[16] = length >> 8;
  b[17] = length & 0xff;
  b[18] = type;
  return b;
};
const KEEPALIVE = hdr(19, 4);

describe("checkHeader: every header check as soon as 19 octets are in (issue #19)", () => {
  it.each([
    ["length above 4096", hdr(4097, 2), 4096, { code: 1, subcode: 2, data: Uint8Array.of(16, 1) }],
    ["65535 without Extended Message", hdr(65535, 2), 4096, { code: 1, subcode: 2 }],
    ["an OPEN above 4096 even with Extended Message", hdr(4097, 1), 65535, { code: 1, subcode: 2 }],
    ["length below 19", hdr(18, 2), 4096, { code: 1, subcode: 2, data: Uint8Array.of(0, 18) }],
    [
      "KEEPALIVE longer than 19",
      hdr(20, 4),
      4096,
      { code: 1, subcode: 2, data: Uint8Array.of(0, 20) },
    ],
    ["UPDATE below 23", hdr(22, 2), 4096, { code: 1, subcode: 2 }],
    ["OPEN below 29", hdr(28, 1), 4096, { code: 1, subcode: 2 }],
    ["NOTIFICATION below 21", hdr(20, 3), 4096, { code: 1, subcode: 2 }],
    ["unknown type 0", hdr(19, 0), 4096, { code: 1, subcode: 3, data: Uint8Array.of(0) }],
    ["unknown type 6", hdr(30, 6), 4096, { code: 1, subcode: 3, data: Uint8Array.of(6) }],
  ] as const)("%s", (_what, bytes, max, want) => {
    expect(() => checkHeader(bytes, 0, max)).toThrow(expect.objectContaining(want));
  });

  it("passes what may follow: 65535 with Extended Message, any ROUTE-REFRESH length up to the maximum", () => {
    expect(checkHeader(hdr(65535, 2), 0, 65535)).toBe(65535);
    expect(checkHeader(hdr(4096, 1), 0, 65535)).toBe(4096);
    // RFC 7313 §5 answers a wrong ROUTE-REFRESH length with the whole message: decodeMessage does, once it is in.
    expect(checkHeader(hdr(4096, 5), 0, 4096)).toBe(4096);
    expect(checkHeader(hdr(19, 5), 0, 4096)).toBe(19);
    expect(checkHeader(hdr(19, 4).subarray(0, 18))).toBeUndefined();
  });

  it("maxMessageLength: 4096, 65535 with Extended Message, OPEN always 4096", () => {
    expect(maxMessageLength({ extendedMessage: false })).toBe(4096);
    expect(maxMessageLength({ extendedMessage: true })).toBe(65535);
    expect(maxMessageLength({ extendedMessage: true }, 1)).toBe(4096);
  });
});

describe("Framer: one message at a time, headers checked at once (issue #19)", () => {
  it("refuses an oversized header from its 19 octets, without waiting for the body", () => {
    const f = new Framer();
    f.feed(hdr(4097, 2).subarray(0, 10));
    expect(f.next()).toBeUndefined();
    f.feed(hdr(4097, 2).subarray(10, 19));
    expect(() => f.next()).toThrow(expect.objectContaining({ code: 1, subcode: 2 }));
    // The stream is unusable from then on: the same error again.
    f.feed(KEEPALIVE);
    expect(() => f.next()).toThrow(expect.objectContaining({ code: 1, subcode: 2 }));
  });

  it("a header split across chunks is checked when its 19th octet arrives", () => {
    const bad = hdr(20, 4);
    for (let cut = 1; cut < 19; cut++) {
      const f = new Framer();
      f.feed(bad.subarray(0, cut));
      expect(f.next()).toBeUndefined();
      f.feed(bad.subarray(cut));
      expect(() => f.next()).toThrow(expect.objectContaining({ code: 1, subcode: 2 }));
    }
  });

  it("returns the complete messages of a read before the broken header behind them", () => {
    const chunk = concat([KEEPALIVE, KEEPALIVE, hdr(5000, 2)]);
    const f = new Framer();
    f.feed(chunk);
    expect(f.next()).toEqual(KEEPALIVE);
    expect(f.next()).toEqual(KEEPALIVE);
    expect(() => f.next()).toThrow(expect.objectContaining({ code: 1, subcode: 2 }));
  });

  it("applies a maximum raised between two messages of the same read (Extended Message once Established)", () => {
    const big = hdr(5000, 2, 5000 - 19);
    const f = new Framer();
    f.feed(concat([KEEPALIVE, big]));
    expect(f.next()).toEqual(KEEPALIVE);
    f.maxLength = 65535;
    expect(f.next()).toEqual(big);
    expect(f.next()).toBeUndefined();
    expect(f.buffered).toBe(0);
  });

  it("hands out plain Uint8Arrays whether a message was cut from a Buffer or joined across reads", () => {
    // (one type for the decoders: V8 optimises them for one map, not two)
    const f = new Framer();
    const stream = Buffer.from(concat([KEEPALIVE, KEEPALIVE, KEEPALIVE]));
    const out = [...f.push(stream.subarray(0, 24)), ...f.push(stream.subarray(24))];
    expect(out.map((m) => m.constructor)).toEqual([Uint8Array, Uint8Array, Uint8Array]);
    expect(hex(out)).toEqual(hex([KEEPALIVE, KEEPALIVE, KEEPALIVE]));
    // a view, not a copy: the octets are the read's own
    expect(out[0]!.buffer).toBe(stream.buffer);
  });

  it("keeps what next() did not reach when fed again", () => {
    const f = new Framer();
    f.feed(concat([KEEPALIVE, KEEPALIVE, KEEPALIVE.subarray(0, 5)]));
    expect(f.next()).toEqual(KEEPALIVE);
    f.feed(KEEPALIVE.subarray(5));
    expect([f.next(), f.next(), f.next()]).toEqual([KEEPALIVE, KEEPALIVE, undefined]);
    expect(f.buffered).toBe(0);
  });
});

describe("fitNotification", () => {
  it("cuts the data to the maximum and leaves a NOTIFICATION that fits alone", () => {
    const data = new Uint8Array(70_000).map((_, i) => i & 0xff);
    for (const max of [4096, 65535]) {
      const n = fitNotification(notificationMessage(7, 1, data), max);
      expect(n.data.length).toBe(max - 21);
      expect(n.data).toEqual(data.subarray(0, max - 21));
      expect(encodeMessage(n, codecContext({ extendedMessage: max > 4096 })).length).toBe(max);
    }
    const small = notificationMessage(1, 2, Uint8Array.of(16, 1));
    expect(fitNotification(small, 4096)).toBe(small);
  });
});
