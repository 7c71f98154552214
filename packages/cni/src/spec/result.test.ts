import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CniError } from "./errors.js";
import { convertResult, encodeResult, parseResult, type Result } from "./result.js";
import { SUPPORTED_VERSIONS } from "./versions.js";

const full: Result = {
  cniVersion: "1.1.0",
  interfaces: [
    { name: "cali1234", mac: "ee:ee:ee:ee:ee:ee", mtu: 1500 },
    { name: "eth0", mac: "02:00:00:00:00:01", sandbox: "/var/run/netns/p", pciID: "0000:00:01.0" },
  ],
  ips: [
    { address: "192.0.2.10/32", gateway: "169.254.1.1", interface: 1 },
    { address: "2001:db8::a/128", interface: 1 },
  ],
  routes: [
    { dst: "0.0.0.0/0", gw: "169.254.1.1", mtu: 1400, priority: 10 },
    { dst: "169.254.1.1/32", scope: 253 },
  ],
  dns: { nameservers: ["192.0.2.53"], search: ["example.test"] },
};

describe("results", () => {
  it("writes 0.3.0, 0.3.1 and 0.4.0 with ips[].version and without 1.1.0 fields", () => {
    for (const v of ["0.3.0", "0.3.1", "0.4.0"]) {
      expect(encodeResult(full, v)).toEqual({
        cniVersion: v,
        interfaces: [
          { name: "cali1234", mac: "ee:ee:ee:ee:ee:ee" },
          { name: "eth0", mac: "02:00:00:00:00:01", sandbox: "/var/run/netns/p" },
        ],
        ips: [
          { version: "4", address: "192.0.2.10/32", gateway: "169.254.1.1", interface: 1 },
          { version: "6", address: "2001:db8::a/128", interface: 1 },
        ],
        routes: [{ dst: "0.0.0.0/0", gw: "169.254.1.1" }, { dst: "169.254.1.1/32" }],
        dns: full.dns,
      });
    }
  });

  it("writes 1.0.0 without ips[].version and without 1.1.0 fields", () => {
    const r = encodeResult(full, "1.0.0");
    expect(r.ips?.[0]).toEqual({ address: "192.0.2.10/32", gateway: "169.254.1.1", interface: 1 });
    expect(r.interfaces?.[0]).toEqual({ name: "cali1234", mac: "ee:ee:ee:ee:ee:ee" });
    expect(r.routes?.[1]).toEqual({ dst: "169.254.1.1/32" });
  });

  it("writes 1.1.0 with everything", () => {
    expect(encodeResult(full, "1.1.0")).toEqual(full);
  });

  it("reads every version back to the same canonical result (modulo dropped fields)", () => {
    for (const v of SUPPORTED_VERSIONS) {
      const back = parseResult(JSON.parse(JSON.stringify(encodeResult(full, v))));
      expect(back.cniVersion).toBe(v);
      expect(back.ips).toEqual(full.ips);
      expect(encodeResult(back, v)).toEqual(encodeResult(full, v));
    }
  });

  it("converts between every pair of versions", () => {
    for (const from of SUPPORTED_VERSIONS) {
      for (const to of SUPPORTED_VERSIONS) {
        const r = convertResult(encodeResult(full, from), to);
        expect(r.cniVersion).toBe(to);
        expect(r.ips?.map((i) => "version" in i)).toEqual(
          to.startsWith("0.") ? [true, true] : [false, false],
        );
      }
    }
  });

  it("rejects bad results with code 6 and unknown versions with code 1", () => {
    const bad = [
      null,
      { cniVersion: "1.0.0", ips: [{ address: "192.0.2.1" }] },
      { cniVersion: "1.0.0", ips: [{ address: "192.0.2.1/24", gateway: "x" }] },
      { cniVersion: "0.4.0", ips: [{ version: "6", address: "192.0.2.1/24" }] },
      { cniVersion: "1.0.0", routes: [{ gw: "192.0.2.1" }] },
      { cniVersion: "1.0.0", interfaces: [{ mac: "x" }] },
    ];
    for (const b of bad) expect(() => parseResult(b)).toThrow(expect.objectContaining({ code: 6 }));
    expect(() => parseResult({ cniVersion: "0.2.0" })).toThrow(
      expect.objectContaining({ code: 1 }),
    );
    expect(() => encodeResult(full, "9.9.9")).toThrow(CniError);
  });

  it("round-trips arbitrary results through every version's JSON (property)", () => {
    const v4 = fc
      .tuple(fc.nat(255), fc.nat(255), fc.integer({ min: 0, max: 32 }))
      .map(([a, b, p]) => `192.0.${a}.${b}/${p}`);
    const v6 = fc
      .tuple(fc.nat(0xffff), fc.integer({ min: 0, max: 128 }))
      .map(([a, p]) => `2001:db8::${a.toString(16)}/${p}`);
    const result = fc.record({
      ips: fc.array(fc.record({ address: fc.oneof(v4, v6), interface: fc.nat(3) })),
      routes: fc.array(fc.record({ dst: fc.oneof(v4, v6) })),
    });
    fc.assert(
      fc.property(result, fc.constantFrom(...SUPPORTED_VERSIONS), (r, v) => {
        const canon = parseResult({ cniVersion: "1.1.0", ...r });
        const again = parseResult(JSON.parse(JSON.stringify(encodeResult(canon, v))));
        expect(again.ips).toEqual(canon.ips);
        expect(again.routes).toEqual(canon.routes);
      }),
    );
  });

  it("never throws anything but CniError on arbitrary input (fuzz)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (j) => {
        try {
          parseResult(j);
        } catch (e) {
          expect(e).toBeInstanceOf(CniError);
        }
      }),
    );
  });
});
