import { describe, expect, it } from "vitest";
import { ConfigError, parseSpeakerConfig, SpeakerConfig } from "./config.js";

describe("speaker config", () => {
  it("fills defaults like BIRD/Calico", () => {
    const c = parseSpeakerConfig({
      asn: 64512,
      routerId: "192.0.2.11",
      peers: [{ address: "192.0.2.250", asn: 64512 }],
    });
    expect(c.listen).toEqual({ address: "::", port: 179 });
    expect(c.peers[0]).toMatchObject({
      port: 179,
      holdTime: 90,
      connectRetryTime: 5,
      passive: false,
    });
  });

  it("names the field path of every error", () => {
    const bad = () =>
      parseSpeakerConfig({
        asn: 0,
        routerId: "not-an-ip",
        peers: [{ address: "192.0.2.1", asn: 65001, holdTime: 2 }],
        originate: [{ prefix: "198.51.100.0/33" }],
      });
    expect(bad).toThrow(ConfigError);
    try {
      bad();
    } catch (e) {
      const paths = (e as ConfigError).issues.map((i) => i.path);
      expect(paths).toEqual(
        expect.arrayContaining(["asn", "routerId", "peers.0.holdTime", "originate.0.prefix"]),
      );
    }
  });
});

describe("speaker config: strict keys", () => {
  const base = { asn: 64512, routerId: "192.0.2.11" };
  const issues = (input: unknown) => {
    try {
      parseSpeakerConfig(input);
    } catch (e) {
      if (e instanceof ConfigError) return e.issues;
      throw e;
    }
    throw new Error("accepted");
  };

  it("md5Password instead of password is an error naming the key, its path and password", () => {
    const got = issues({
      ...base,
      peers: [{ address: "192.0.2.1", asn: 65001, md5Password: "s3cret" }],
    });
    expect(got).toHaveLength(1);
    expect(got[0]!.path).toBe("peers.0.md5Password");
    expect(got[0]!.message).toContain('unknown key "md5Password" (did you mean "password"?)');
  });

  it("peer instead of peers, and a typo in a nested object", () => {
    expect(issues({ ...base, peer: [] })[0]).toMatchObject({
      path: "peer",
      message: expect.stringContaining('did you mean "peers"'),
    });
    expect(issues({ ...base, listen: { adress: "::" } })[0]).toMatchObject({
      path: "listen.adress",
      message: expect.stringContaining('"address"'),
    });
    expect(issues({ ...base, gracefulRestart: { restartTme: 30 } })[0]).toMatchObject({
      path: "gracefulRestart.restartTme",
      message: expect.stringContaining('"restartTime"'),
    });
    expect(
      issues({ ...base, dynamicNeighbors: [{ prefix: "192.0.2.0/24", asn: 1, limt: 3 }] })[0],
    ).toMatchObject({
      path: "dynamicNeighbors.0.limt",
      message: expect.stringContaining('"limit"'),
    });
  });

  it("a key far from every valid name gets no suggestion but the list of valid keys", () => {
    const [i] = issues({ ...base, zzzzzzzz: 1 });
    expect(i!.message).not.toContain("did you mean");
    expect(i!.message).toContain("valid keys: asn, routerId");
  });

  it("a prefix with host bits is an error naming the network", () => {
    expect(issues({ ...base, originate: [{ prefix: "198.51.100.1/26" }] })[0]).toMatchObject({
      path: "originate.0.prefix",
      message: "host bits set in 198.51.100.1/26 (did you mean 198.51.100.0/26?)",
    });
    expect(issues({ ...base, originate: [{ prefix: "2001:db8::1/48" }] })[0]!.message).toContain(
      "2001:db8::/48",
    );
    expect(
      parseSpeakerConfig({ ...base, originate: [{ prefix: "2001:db8:7::/48" }] }).originate[0]!
        .prefix,
    ).toBe("2001:db8:7::/48");
  });

  it("netns accepts a name as well as a path", () => {
    expect(parseSpeakerConfig({ ...base, netns: "blue" }).netns).toBe("/var/run/netns/blue");
    expect(parseSpeakerConfig({ ...base, netns: "/proc/1/ns/net" }).netns).toBe("/proc/1/ns/net");
  });

  it("graceful restart: defaults, limits, per-peer false", () => {
    const c = parseSpeakerConfig({
      ...base,
      gracefulRestart: { restartTime: 30 },
      peers: [{ address: "192.0.2.1", asn: 1, gracefulRestart: false }],
    });
    expect(c.gracefulRestart).toEqual({
      restartTime: 30,
      forwardingPreserved: true,
      staleTime: 360,
    });
    expect(c.restarting).toBe(false);
    expect(c.peers[0]!.gracefulRestart).toBe(false);
    expect(issues({ ...base, gracefulRestart: { restartTime: 4096 } })[0]!.path).toBe(
      "gracefulRestart.restartTime",
    );
  });

  it("every field of the schema carries a description", () => {
    const undocumented: string[] = [];
    const walk = (t: unknown, path: string): void => {
      const def = (t as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
      if (def.type === "object") {
        for (const [k, v] of Object.entries(def.shape as Record<string, unknown>)) {
          if (!(v as { description?: string }).description) undocumented.push(`${path}${k}`);
          walk(v, `${path}${k}.`);
        }
      } else if (def.type === "array") walk(def.element, `${path}[].`);
      else if (def.type === "union") for (const o of def.options as unknown[]) walk(o, path);
      else if (def.innerType) walk(def.innerType, path);
      else if (def.type === "pipe") walk(def.in, path);
    };
    walk(SpeakerConfig, "");
    expect(undocumented).toEqual([]);
  });
});

describe("speaker config: routing options", () => {
  const base = { asn: 64500, routerId: "192.0.2.1" };
  const message = (input: unknown) => {
    try {
      parseSpeakerConfig(input);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error("accepted");
  };

  it("accepts the per-peer routing options with their defaults", () => {
    const c = parseSpeakerConfig({
      ...base,
      clusterId: "192.0.2.254",
      multipath: true,
      peers: [
        {
          address: "192.0.2.2",
          asn: 64500,
          routeReflectorClient: true,
          maxPrefix: { limit: 1000 },
          exportFilters: [
            {
              metadata: { name: "f" },
              spec: {
                exportV4: [{ cidr: "203.0.113.0/24", matchOperator: "In", action: "Reject" }],
              },
            },
          ],
        },
      ],
    });
    expect(c.updateDelayMs).toBe(5);
    expect(c.peers[0]).toMatchObject({
      nextHopMode: "auto",
      allowAsIn: 0,
      routeReflectorClient: true,
      maxPrefix: { limit: 1000, action: "cease" },
    });
    expect(c.peers[0]?.exportFilters?.[0]?.metadata.name).toBe("f");
  });

  it("rejects unknown keys in filters and options with the path and the closest name", () => {
    expect(
      message({
        ...base,
        peers: [
          {
            address: "192.0.2.2",
            asn: 2,
            exportFilters: [
              {
                metadata: { name: "x" },
                spec: {
                  exportV4: [{ cidr: "203.0.113.0/24", matchOperater: "Equal", action: "Reject" }],
                },
              },
            ],
          },
        ],
      }),
    ).toContain(
      'peers.0.exportFilters.0: spec.exportV4[0].matchOperater: unknown field (did you mean "matchOperator"?)',
    );
    expect(
      message({
        ...base,
        peers: [{ address: "192.0.2.2", asn: 2, maxPrefix: { limit: 5, actoin: "warn" } }],
      }),
    ).toContain('peers.0.maxPrefix.actoin: unknown key "actoin" (did you mean "action"?)');
    expect(
      message({ ...base, peers: [{ address: "192.0.2.2", asn: 2, routeReflectorClnt: true }] }),
    ).toContain('(did you mean "routeReflectorClient"?)');
    expect(
      message({ ...base, peers: [{ address: "192.0.2.2", asn: 2, nextHopMode: "none" }] }),
    ).toContain("peers.0.nextHopMode");
    expect(
      message({
        ...base,
        originate: [
          { prefix: "203.0.113.0/24", rawAttributes: [{ code: 8, flags: 192, value: "00" }] },
        ],
      }),
    ).toContain("originate.0.rawAttributes.0.code: a path attribute the codec knows");
  });
});
