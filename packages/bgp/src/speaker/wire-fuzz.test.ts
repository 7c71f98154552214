// The wire fuzzer's own pieces (test/wire-fuzz): inputs are reproducible from
// the seed and never empty, and `completion` ends an input where Tortie's
// framer would, so the campaign never mistakes a rightful wait for a stall.
import { describe, expect, it } from "vitest";
import { completion } from "../../test/wire-fuzz/campaign.js";
import { mutate, Rng, subSeed } from "../../test/wire-fuzz/mutate.js";
import { seedsFor } from "../../test/wire-fuzz/seeds.js";
import { decodeMessage, Framer } from "../wire/index.js";
import { kindContext, type SessionKind } from "./raw-peer.fixture.js";

const KINDS: SessionKind[] = ["2-octet", "4-octet", "add-path", "extended"];
const hdr = (length: number, type: number) =>
  Uint8Array.from([...Array(16).fill(0xff), length >> 8, length & 0xff, type]);

describe("wire fuzzer", () => {
  it.each(KINDS)("%s: every seed is a valid message of its session kind", (kind) => {
    const seeds = seedsFor(kind, "192.0.2.3", 65099);
    expect(new Set(seeds.map((s) => s.type))).toEqual(
      new Set(["open", "update", "notification", "route-refresh", "keepalive"]),
    );
    for (const s of seeds) {
      const d = decodeMessage(
        s.bytes,
        s.type === "open" ? kindContext("2-octet") : kindContext(kind),
      );
      expect(d.message.type).toBe(s.type);
    }
  });

  it("the same seed gives the same inputs; inputs are never empty", () => {
    const seeds = seedsFor("4-octet", "192.0.2.3", 65099);
    const run = (seed: number) => {
      const r = new Rng(subSeed(seed, "4-octet"));
      return Array.from({ length: 300 }, () => mutate(r.pick(seeds).bytes, r));
    };
    const key = (ms: ReturnType<typeof run>) =>
      ms.map((m) => `${m.ops.join(",")}:${Buffer.from(m.bytes).toString("hex")}`);
    const a = run(19);
    expect(key(run(19))).toEqual(key(a));
    expect(key(run(20))).not.toEqual(key(a));
    for (const m of a) expect(m.bytes.length).toBeGreaterThan(0);
  });

  it("completion: to the declared length, through a short header, not past a broken header", () => {
    const ka = hdr(19, 4);
    expect(completion(ka, 4096)).toHaveLength(0);
    expect(completion(hdr(100, 2), 4096)).toHaveLength(81);
    expect(completion(ka.subarray(0, 10), 4096).length).toBe(9); // header completed; zeros break the marker
    expect(completion(hdr(4097, 2), 4096)).toHaveLength(0); // answered at the header
    expect(completion(hdr(4097, 2), 65535)).toHaveLength(4097 - 19);
    expect(completion(Uint8Array.from([...ka, ...hdr(30, 2)]), 4096)).toHaveLength(11);
  });

  it("completion agrees with the Framer on mutated inputs: complete messages then nothing, or an error", () => {
    const r = new Rng(7);
    for (const kind of KINDS) {
      const seeds = seedsFor(kind, "192.0.2.3", 65099);
      const max = kind === "extended" ? 65535 : 4096;
      for (let i = 0; i < 300; i++) {
        const { bytes } = mutate(r.pick(seeds).bytes, r);
        const wire = Uint8Array.from([...bytes, ...completion(bytes, max)]);
        const f = new Framer({ maxLength: max });
        f.feed(wire);
        try {
          while (f.next());
          expect(f.buffered).toBe(0);
        } catch {
          // a broken header: Tortie answers it at once
        }
      }
    }
  });
});
