// Every decoder returns or throws its typed error — never anything else,
// never hangs — on random bytes and on mutations of real kernel bytes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeAddress } from "./address.js";
import { NetlinkDecodeError } from "./errors.js";
import { dumpFixtures } from "./fixtures.js";
import { decodeError } from "./header.js";
import { decodeLink } from "./link.js";
import { decodeMessages } from "./message.js";
import { decodeNeighbour } from "./neighbour.js";
import { decodeRoute } from "./route.js";

function onlyTyped(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof NetlinkDecodeError)) throw e;
  }
}

const real = dumpFixtures().flatMap((d) => d.datagrams);

/** A real datagram with some bytes overwritten. */
const mutated = fc
  .tuple(
    fc.constantFrom(...real),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
    fc.option(fc.nat(), { nil: undefined }),
  )
  .map(([b, edits, cut]) => {
    const c = b.slice(0, cut === undefined ? b.length : cut % (b.length + 1));
    for (const [at, v] of edits) if (c.length) c[at % c.length] = v;
    return c;
  });

const decoders: [string, (b: Uint8Array) => unknown][] = [
  ["decodeMessages", decodeMessages],
  ["decodeLink", (b) => decodeLink(b)],
  ["decodeAddress", (b) => decodeAddress(b)],
  ["decodeRoute", (b) => decodeRoute(b)],
  ["decodeNeighbour", (b) => decodeNeighbour(b)],
  ["decodeError", (b) => decodeError(b, 0x300)],
];

describe("decoders under fuzzing", () => {
  for (const [name, dec] of decoders) {
    it(`${name}: random bytes give a value or NetlinkDecodeError`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 512 }), (b) => onlyTyped(() => dec(b))),
        { numRuns: 2000 },
      );
    });
    it(`${name}: mutated kernel bytes give a value or NetlinkDecodeError`, () => {
      fc.assert(
        fc.property(mutated, (b) => {
          // Message payloads start after the 16-byte header.
          onlyTyped(() => dec(name === "decodeMessages" ? b : b.subarray(16)));
        }),
        { numRuns: 1000 },
      );
    });
  }

  it("a truncated attribute is reported with its offset", () => {
    const b = real[0]!.slice(0, 40);
    b[0] = 40; // nlmsg_len = 40 so framing passes, then an attribute runs past the end
    b[1] = 0;
    b[2] = 0;
    b[3] = 0;
    b[32] = 200;
    b[33] = 0;
    expect(() => decodeMessages(b)).toThrow(NetlinkDecodeError);
    try {
      decodeMessages(b);
    } catch (e) {
      expect((e as NetlinkDecodeError).offset).toBe(32);
    }
  });
});
