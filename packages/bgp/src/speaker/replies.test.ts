// Issue #19, the property over every reply path: whatever bytes a peer sends,
// the NOTIFICATION the session answers with encodes within the negotiated
// maximum — 4096 for 2-octet, 4-octet and ADD-PATH sessions, 65,535 with
// Extended Message, 4096 while the OPENs are exchanged. The pipeline is the
// session's own: Framer (maxLength from the context) → decodeMessage →
// errorEvent → step() in OpenSent, OpenConfirm and Established →
// send-notification → notificationReply → encodeMessage.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fixtureFiles, loadFixture } from "../../test/fixtures/load.js";
import { reach, T0 } from "../fsm/harness.js";
import { step } from "../fsm/index.js";
import {
  BgpDecodeError,
  type CodecContext,
  codecContext,
  DEFAULT_CONTEXT,
  decodeMessage,
  encodeMessage,
  Framer,
  maxMessageLength,
  notificationMessage,
} from "../wire/index.js";
import { errorEvent, notificationReply } from "./replies.js";

const V4 = [{ afi: 1, safi: 1 }];
const SESSIONS: Record<string, CodecContext> = {
  "2-octet": codecContext(),
  "4-octet": codecContext({ fourOctetAs: true }),
  "add-path": codecContext({ fourOctetAs: true, addPath: { receive: V4, send: V4 } }),
  extended: codecContext({ fourOctetAs: true, extendedMessage: true }),
};

/** A header (marker, Length, Type) in front of `body`; Length need not match. */
function message(type: number, length: number, body: Uint8Array): Uint8Array {
  const b = new Uint8Array(19 + body.length);
  b.fill(0xff, 0, 16);
  b[16] = (length >> 8) & 0xff;
  b[17] = length & 0xff;
  b[18] = type;
  b.set(body, 19);
  return b;
}

const real = fixtureFiles().flatMap((f) => loadFixture(f).messages);

/** Lengths around every bound: 19, the type minimums, 4096 and 65535. */
const lengthArb = fc.oneof(
  fc.constantFrom(0, 18, 19, 20, 21, 22, 23, 24, 28, 29, 4075, 4095, 4096, 4097, 65514, 65535),
  fc.integer({ min: 0, max: 65535 }),
);

/** Bytes a peer might send: consistent and inconsistent headers, long messages, mutated captures, noise. */
const bytesArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  // A whole message of the declared length, any type (the crash: ROUTE-REFRESH of 4095/4096/65535).
  fc
    .record({ type: fc.integer({ min: 0, max: 7 }), length: lengthArb, fill: fc.nat(255) })
    .map(({ type, length, fill }) => {
      const body = new Uint8Array(Math.max(0, length - 19)).fill(fill);
      if (body.length >= 4) body.set([0, 1, 0, 1]); // AFI 1, subtype 0, SAFI 1 for a ROUTE-REFRESH
      return message(type, length, body);
    }),
  // A header whose Length says something else than what follows.
  fc
    .record({
      type: fc.integer({ min: 0, max: 7 }),
      length: lengthArb,
      body: fc.uint8Array({ maxLength: 64 }),
    })
    .map(({ type, length, body }) => message(type, length, body)),
  // Captured real messages with octets changed.
  fc
    .record({
      pick: fc.nat(),
      flips: fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 6 }),
    })
    .map(({ pick, flips }) => {
      const b = real[pick % real.length]!.slice();
      for (const [at, v] of flips) b[16 + (at % Math.max(1, b.length - 16))] = v;
      return b;
    }),
  // Noise, and a broken header behind a good message in the same read.
  fc.uint8Array({ maxLength: 200 }),
  fc
    .tuple(fc.constantFrom(...real), fc.uint8Array({ minLength: 19, maxLength: 40 }))
    .map(([good, bad]) => Uint8Array.from([...good, ...bad])),
);

/** The error the session would answer for `bytes` read under `ctx` (undefined: no error). */
function firstError(bytes: Uint8Array, ctx: CodecContext): BgpDecodeError | undefined {
  const f = new Framer({ maxLength: maxMessageLength(ctx) });
  f.feed(bytes);
  try {
    for (let m = f.next(); m; m = f.next()) decodeMessage(m, ctx);
  } catch (e) {
    if (e instanceof BgpDecodeError) return e;
    throw e; // anything else is a bug: the property fails
  }
  return undefined;
}

describe("every reply to a peer's bytes fits the negotiated maximum (issue #19)", () => {
  it("Framer → decode → FSM → NOTIFICATION encodes within 4096 / 65535, in every state and session kind", () => {
    let cut = 0;
    let replies = 0;
    fc.assert(
      fc.property(bytesArb, fc.constantFrom(...Object.keys(SESSIONS)), (bytes, kind) => {
        const negotiated = SESSIONS[kind]!;
        for (const state of ["OpenSent", "OpenConfirm", "Established"] as const) {
          // Before Established the session reads and writes with the default context.
          const ctx = state === "Established" ? negotiated : DEFAULT_CONTEXT;
          const err = firstError(bytes, ctx);
          if (!err) continue;
          const event = errorEvent(err);
          expect(event).toBeDefined();
          const { actions } = step(reach(state), event!, T0 + 1);
          for (const a of actions) {
            if (a.type !== "send-notification") continue;
            const reply = notificationReply(a.notification, ctx);
            const wire = encodeMessage(reply, ctx); // must not throw
            const max = maxMessageLength(ctx);
            expect(wire.length).toBeLessThanOrEqual(max);
            const back = decodeMessage(wire, ctx).message;
            expect(back).toMatchObject({
              code: a.notification.code,
              subcode: a.notification.subcode,
            });
            // The data is the FSM's, or its first octets when that would not fit.
            const n = a.notification.data;
            expect(reply.data).toEqual(n.subarray(0, Math.min(n.length, max - 21)));
            replies++;
            if (reply.data.length < n.length) cut++;
          }
        }
      }),
      { numRuns: 3000, seed: 19 },
    );
    // The generator reaches the class that crashed the speaker (and ordinary replies).
    expect(cut).toBeGreaterThan(0);
    expect(replies).toBeGreaterThan(1000);
  });

  it("the issue's exact bytes: ROUTE-REFRESH of 4095/4096 (65535 with Extended Message) → 7/1 cut to fit", () => {
    for (const [kind, length] of [
      ["2-octet", 4095],
      ["4-octet", 4096],
      ["add-path", 4096],
      ["extended", 65535],
    ] as const) {
      const ctx = SESSIONS[kind]!;
      const body = new Uint8Array(length - 19);
      body.set([0, 1, 0, 1]);
      const bytes = message(5, length, body);
      const err = firstError(bytes, ctx)!;
      expect(err).toMatchObject({ code: 7, subcode: 1 });
      expect(err.data).toEqual(bytes); // RFC 7313 §5: the complete message…
      // …which as it is cannot be sent: this is what threw out of PeerSession.write.
      expect(() => encodeMessage(notificationMessage(7, 1, err.data), ctx)).toThrow(/exceeds/);
      const [a] = step(reach("Established"), errorEvent(err)!, T0 + 1).actions;
      if (a?.type !== "send-notification")
        throw new Error(`expected send-notification, got ${a?.type}`);
      const wire = encodeMessage(notificationReply(a.notification, ctx), ctx);
      expect(wire.length).toBe(maxMessageLength(ctx));
      expect(wire.subarray(21)).toEqual(bytes.subarray(0, wire.length - 21));
    }
  });

  it("errorEvent: header errors → BGPHeaderErr, OPEN → BGPOpenMsgErr, the rest → UpdateMsgErr; not ours → undefined", () => {
    const e = (code: number) => new BgpDecodeError("x", { code, subcode: 1 });
    expect(errorEvent(e(1))?.type).toBe("BGPHeaderErr");
    expect(errorEvent(e(2))?.type).toBe("BGPOpenMsgErr");
    expect(errorEvent(e(3))?.type).toBe("UpdateMsgErr");
    expect(errorEvent(e(7))?.type).toBe("UpdateMsgErr");
    expect(errorEvent(new TypeError("bug"))).toBeUndefined();
  });
});
