import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeRequest, encodeRequest, HelperProtocolError } from "./helper-protocol.js";

const req = {
  token: "abc123",
  env: { CNI_COMMAND: "ADD", CNI_CONTAINERID: "c1", CNI_ARGS: "A=1;B=x=y" },
  stdin: '{"cniVersion":"1.0.0","name":"n","type":"tortie"}\n',
};

describe("helper protocol", () => {
  it("round-trips, and is incomplete at every split point", () => {
    const bytes = encodeRequest(req);
    expect(decodeRequest(bytes)).toEqual(req);
    for (let i = 0; i < bytes.length; i++)
      expect(decodeRequest(bytes.subarray(0, i))).toBeUndefined();
  });

  it("counts stdin in bytes (UTF-8)", () => {
    const r = { ...req, stdin: '{"name":"café ✓"}' };
    expect(decodeRequest(encodeRequest(r))).toEqual(r);
  });

  it("rejects bad magic, bad lengths, foreign variables and trailing bytes", () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(() => decodeRequest(enc("HELLO\n"))).toThrow(HelperProtocolError);
    expect(() => decodeRequest(enc("TORTIE-CNI 1\nt\nx\n\n"))).toThrow(/length/);
    expect(() => decodeRequest(enc("TORTIE-CNI 1\nt\n0\nPATH=/bin\n\n"))).toThrow(/variable/);
    expect(() => decodeRequest(enc("TORTIE-CNI 1\nt\n1\n\nab"))).toThrow(/trailing/);
  });

  it("never throws anything but its error on arbitrary bytes (fuzz)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        try {
          decodeRequest(b);
        } catch (e) {
          expect(e).toBeInstanceOf(HelperProtocolError);
        }
      }),
    );
  });
});
