// fast-check fuzzing of every decoder: on any input they return or throw
// BgpDecodeError — never another error, never a hang (loops only move
// forward; vitest's timeout would catch one). What decodes must re-encode
// (or be refused with BgpEncodeError) and decode again to the same object.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fixtureFiles, loadFixture } from "../../test/fixtures/load.js";
import { ATTRIBUTE_TABLE } from "./attributes/table.js";
import { CAPABILITY_TABLE, decodeCapabilities } from "./capabilities/table.js";
import { type CodecContext, codecContext } from "./context.js";
import { BgpDecodeError, BgpEncodeError } from "./errors.js";
import { Framer } from "./framer.js";
import { messageLength } from "./header.js";
import { decodeMessage, encodeMessage } from "./message.js";
import { decodeOpen } from "./messages/open.js";
import { decodeUpdate } from "./messages/update.js";
import { decodePrefixes } from "./prefix.js";

const families = [
  { afi: 1, safi: 1 },
  { afi: 2, safi: 1 },
];
const contexts: CodecContext[] = [
  codecContext(),
  codecContext({ fourOctetAs: true }),
  codecContext({
    fourOctetAs: true,
    extendedMessage: true,
    addPath: { receive: families, send: families },
  }),
];
const ctxArb = fc.constantFrom(...contexts);

/** Runs a decoder; only BgpDecodeError may escape. Returns the value or undefined. */
function guarded<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (e instanceof BgpDecodeError) return undefined;
    throw e;
  }
}

/** Decodes; if it worked, re-encodes and checks it decodes to the same message. */
function decodeRoundTrip(bytes: Uint8Array, ctx: CodecContext): void {
  const d = guarded(() => decodeMessage(bytes, ctx));
  if (!d) return;
  for (const e of d.errors) expect(e).toBeInstanceOf(BgpDecodeError);
  let again: Uint8Array;
  try {
    again = encodeMessage(d.message, ctx);
  } catch (e) {
    if (e instanceof BgpEncodeError) return;
    throw e;
  }
  const d2 = decodeMessage(again, ctx);
  expect(d2.message).toEqual(d.message);
}

/** A header with the right length and a chosen type in front of a body. */
function framed(type: number, body: Uint8Array): Uint8Array {
  const len = Math.min(19 + body.length, 0xffff);
  const out = new Uint8Array(len);
  out.fill(0xff, 0, 16);
  out[16] = len >> 8;
  out[17] = len & 0xff;
  out[18] = type;
  out.set(body.subarray(0, len - 19), 19);
  return out;
}

const real = fixtureFiles().flatMap((f) => {
  const fx = loadFixture(f);
  return fx.messages.map((m) => ({ bytes: m, ctx: fx.ctx }));
});

describe("fuzzing decoders", () => {
  it("decodeMessage on raw random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), ctxArb, (b, ctx) => decodeRoundTrip(b, ctx)),
      { numRuns: 2000 },
    );
  });

  it("decodeMessage on random bodies behind a valid header, every type", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 7 }),
        fc.uint8Array({ maxLength: 400 }),
        ctxArb,
        (t, body, ctx) => decodeRoundTrip(framed(t, body), ctx),
      ),
      { numRuns: 4000 },
    );
  });

  it("decodeMessage on mutated real captured messages", () => {
    const mutation = fc.record({
      pick: fc.nat(),
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 6,
      }),
      cut: fc.option(fc.nat(), { nil: undefined }),
      fixLength: fc.boolean(),
    });
    fc.assert(
      fc.property(
        mutation,
        ctxArb,
        fc.boolean(),
        ({ pick, flips, cut, fixLength }, ctx, ownCtx) => {
          const src = real[pick % real.length]!;
          let b = src.bytes.slice();
          for (const [at, v] of flips) {
            // Leave the marker alone most of the time so the body parsers get exercised.
            const i = 16 + (at % Math.max(1, b.length - 16));
            b[i] = v;
          }
          if (cut !== undefined) b = b.slice(0, cut % (b.length + 1));
          if (fixLength && b.length >= 19) {
            b[16] = b.length >> 8;
            b[17] = b.length & 0xff;
          }
          decodeRoundTrip(b, ownCtx ? src.ctx : ctx);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it("decodeUpdate, decodeOpen, decodeCapabilities, decodePrefixes on random slices", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.nat(), ctxArb, (b, s, e, ctx) => {
        const start = s % (b.length + 1);
        const end = start + (e % (b.length - start + 1));
        guarded(() => decodeUpdate(b, start, end, ctx));
        guarded(() => decodeOpen(b, start, end));
        guarded(() => decodeCapabilities(b, start, end));
        guarded(() => decodePrefixes(b, start, end, 1, false, [], 10));
        guarded(() => decodePrefixes(b, start, end, 2, true, [], 9));
        guarded(() => messageLength(b, start));
      }),
      { numRuns: 3000 },
    );
  });

  it("every attribute and capability descriptor on its own, on random values", () => {
    const attrs = ATTRIBUTE_TABLE.filter((d) => d !== undefined);
    const caps = [...CAPABILITY_TABLE.values()];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), ctxArb, (b, ctx) => {
        for (const d of attrs) guarded(() => d!.decode(b, 0, b.length, ctx));
        for (const d of caps) guarded(() => d.decode(b, 0, b.length));
      }),
      { numRuns: 2000 },
    );
  });

  it("Framer on random chunks of real and random streams", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.uint8Array({ maxLength: 60 }), fc.constantFrom(...real.map((r) => r.bytes))),
          {
            maxLength: 8,
          },
        ),
        (chunks) => {
          const f = new Framer();
          for (const c of chunks) {
            const out = guarded(() => f.push(c));
            if (out === undefined) return;
            for (const m of out) expect(m.length).toBeGreaterThanOrEqual(19);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
