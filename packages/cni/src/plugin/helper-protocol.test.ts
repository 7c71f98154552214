import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeBody,
  decodeHello,
  decodeResponse,
  encodeBody,
  encodeHello,
  encodeResponse,
  HelperProtocolError,
  MAX_BODY,
} from "./helper-protocol.js";

const req = {
  env: { CNI_COMMAND: "ADD", CNI_CONTAINERID: "c1", CNI_ARGS: "A=1;B=x=y" },
  stdin: '{"cniVersion":"1.0.0","name":"n","type":"tortie"}\n',
};
const enc = (s: string) => new TextEncoder().encode(s);

describe("helper protocol", () => {
  it("round-trips a body, counting bytes (UTF-8)", () => {
    expect(decodeBody(encodeBody(req))).toEqual(req);
    const r = { env: { CNI_COMMAND: "DEL" }, stdin: '{"name":"café ✓"}' };
    expect(decodeBody(encodeBody(r))).toEqual(r);
    // the shim's start time ($EPOCHREALTIME), to order an ADD against a DEL
    const t = decodeBody(enc("T0 17\n1764658000.123456\nSTDIN 0\n"));
    expect(t.t0).toBeCloseTo(1764658000123.456, 3);
    expect(() => decodeBody(enc("T0 3\nabc\nSTDIN 0\n"))).toThrow(HelperProtocolError);
  });

  it("keeps newlines inside values: an injected line stays inside CNI_ARGS", () => {
    const evil = {
      env: {
        CNI_COMMAND: "ADD",
        CNI_CONTAINERID: "mine",
        CNI_ARGS: "K8S_POD_NAME=a\nCNI_COMMAND 3\nDEL\nCNI_CONTAINERID 6\nvictim\n",
      },
      stdin: "{}",
    };
    const d = decodeBody(encodeBody(evil));
    expect(d.env.CNI_COMMAND).toBe("ADD");
    expect(d.env.CNI_CONTAINERID).toBe("mine");
    expect(d.env.CNI_ARGS).toBe(evil.env.CNI_ARGS);
  });

  it("rejects duplicate, unknown, truncated and trailing records", () => {
    const bad = [
      "CNI_COMMAND 3\nADD\nCNI_COMMAND 3\nDEL\nSTDIN 0\n",
      "CNI_FOO 1\nx\nSTDIN 0\n",
      "PATH 4\n/bin\nSTDIN 0\n",
      "CNI_COMMAND 9\nADD\nSTDIN 0\n",
      "CNI_COMMAND 3\nADDXSTDIN 0\n",
      "STDIN 2\n{}extra",
      "STDIN 5\n{}",
      "CNI_COMMAND 3\nADD\n",
      "",
      "CNI_ARGS 3\na\u0000b\nSTDIN 0\n",
    ];
    for (const b of bad) expect(() => decodeBody(enc(b)), b).toThrow(HelperProtocolError);
  });

  it("decodes the hello line, and refuses anything else", () => {
    const h = { build: "b1-x", scope: "net-4026531840", secret: "a".repeat(64), length: 12 };
    expect(decodeHello(encodeHello(h).trimEnd())).toEqual(h);
    for (const l of [
      "TORTIE-CNI 2 b s 00",
      "GET / HTTP/1.1",
      `TORTIE-CNI 3 b s ${"z".repeat(64)} 1`,
      `TORTIE-CNI 3 b s ${"a".repeat(63)} 1`,
      `TORTIE-CNI 3 b s ${"a".repeat(64)} -1`,
      `TORTIE-CNI 3 b s ${"a".repeat(64)} 1 extra`,
    ])
      expect(() => decodeHello(l), l).toThrow(HelperProtocolError);
    expect(() => decodeHello(`TORTIE-CNI 3 b s ${"a".repeat(64)} ${MAX_BODY + 1}`)).toThrow(
      /larger/,
    );
  });

  it("round-trips responses", () => {
    const r = decodeResponse(encodeResponse(1, '{"code":7}', "bad ✓\n"));
    expect(r).toEqual({ code: 1, stdout: '{"code":7}', stderr: "bad ✓\n" });
  });

  it("fuzz: decoders return or throw HelperProtocolError, never anything else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        for (const f of [
          () => decodeBody(b),
          () => decodeResponse(b),
          () => decodeHello(Buffer.from(b).toString("latin1")),
        ]) {
          try {
            f();
          } catch (e) {
            expect(e).toBeInstanceOf(HelperProtocolError);
          }
        }
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.record({
          CNI_COMMAND: fc.string(),
          CNI_ARGS: fc.string(),
          CNI_NETNS: fc.string(),
        }),
        fc.string(),
        (env, stdin) => {
          const clean = Object.fromEntries(
            Object.entries(env).map(([k, v]) => [k, v.replace(/\u0000/g, "")]),
          );
          expect(decodeBody(encodeBody({ env: clean, stdin }))).toEqual({ env: clean, stdin });
        },
      ),
      { numRuns: 500 },
    );
  });
});
