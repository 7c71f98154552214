import { describe, expect, it } from "vitest";
import { fixtureFiles, loadFixture } from "../../test/fixtures/load.js";
import { BgpDecodeError } from "./errors.js";
import { Framer } from "./framer.js";
import { messageLength } from "./header.js";

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
    const f = new Framer();
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
