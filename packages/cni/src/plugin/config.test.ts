import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import { parsePluginConfig } from "../spec/config.js";
import { CniError, ErrorCode } from "../spec/errors.js";
import {
  CNI_SPEC_KEYS,
  parseTortieConfig,
  TORTIE_CONFIG_KEYS,
  tortieConfigSchema,
  tortieIpamSchema,
  unknownKeys,
} from "./config.js";

const base = {
  cniVersion: "1.1.0",
  name: "pods",
  type: "tortie",
  ipam: { type: "host-local", ranges: [[{ subnet: "192.0.2.0/24" }]] },
};
const parse = (extra: Record<string, unknown>) =>
  parseTortieConfig(parsePluginConfig({ ...base, ...extra }));
const failure = (extra: Record<string, unknown>): CniError => {
  try {
    parse(extra);
  } catch (e) {
    expect(e).toBeInstanceOf(CniError);
    return e as CniError;
  }
  throw new Error("configuration was accepted");
};

describe("tortie plugin configuration", () => {
  it("reads the documented keys with their defaults", () => {
    expect(parse({})).toEqual({
      mtu: 1500,
      vethPrefix: "cali",
      dataDir: "/var/lib/cni/tortie",
      ipamType: "host-local",
    });
    expect(parse({ nodename: "node1", mtu: 1450 })).toMatchObject({ nodename: "node1", mtu: 1450 });
  });

  it("rejects nodeName (for nodename) with code 7, naming key, path and the right name", () => {
    // regression: this used to be stripped silently, so the pod's blocks went
    // to the host name's node instead of node1
    const e = failure({ nodeName: "node1" });
    expect(e.code).toBe(ErrorCode.InvalidNetworkConfig);
    expect(e.code).toBe(7);
    expect(e.message).toBe(
      'invalid tortie configuration: unknown key "nodeName" at nodeName (did you mean "nodename"?)',
    );
    expect(e.toJSON("1.1.0")).toMatchObject({ code: 7, msg: e.message });
  });

  it("names every unknown key at once, without a suggestion when none is close", () => {
    const e = failure({ mtU: 1400, zzzzzzzz: 1 });
    expect(e.message).toContain('unknown key "mtU" at mtU (did you mean "mtu"?)');
    expect(e.message).toMatch(/unknown key "zzzzzzzz" at zzzzzzzz$/);
  });

  it("keeps accepting every key the CNI spec defines for any plugin", () => {
    const cfg = parse({
      cniVersions: ["1.0.0", "1.1.0"],
      capabilities: { portMappings: true },
      ipMasq: false,
      dns: { nameservers: ["192.0.2.53"] },
      runtimeConfig: { portMappings: [] },
      args: { cni: { ips: ["192.0.2.9"] } },
      prevResult: { cniVersion: "1.1.0", ips: [{ address: "192.0.2.9/24" }] },
      "cni.dev/valid-attachments": [{ containerID: "c1", ifname: "eth0" }],
      "cni.dev/some-future-key": 1,
      disableCheck: false,
      disableGC: false,
      loadOnlyInlinedPlugins: false,
    });
    expect(cfg.ipamType).toBe("host-local");
    // the plugin's own keys and the spec's overlap only in the ipam section
    expect(TORTIE_CONFIG_KEYS.filter((k) => CNI_SPEC_KEYS.includes(k))).toEqual(["ipam"]);
  });

  it("does not look into a delegated IPAM section", () => {
    expect(
      parse({ ipam: { type: "host-local", anyKey: 1, assign_ip4: true, dataDir: "/x" } }).ipamType,
    ).toBe("host-local");
  });

  it("is strict in the plugin's own tortie IPAM section", () => {
    expect(
      parse({
        ipam: {
          type: "tortie",
          assign_ipv4: true,
          assign_ipv6: "true",
          ipv4_pools: ["pods-v4"],
          ipv6_pools: ["2001:db8:1::/64"],
        },
      }).ipamType,
    ).toBe("tortie");
    const e = failure({ ipam: { type: "tortie", assign_ip6: true } });
    expect(e.code).toBe(7);
    expect(e.message).toContain(
      'unknown key "assign_ip6" at ipam.assign_ip6 (did you mean "assign_ipv6"?)',
    );
    const t = failure({ ipam: { type: "tortie", ipv4_pools: "pods" } });
    expect(t.code).toBe(7);
    expect(t.message).toContain("ipam.ipv4_pools");
  });

  it("is strict in each datastore type", () => {
    expect(
      parse({ datastore: { type: "etcd", endpoints: ["http://127.0.0.1:2379"], prefix: "/t" } })
        .datastore,
    ).toEqual({
      type: "etcd",
      endpoints: ["http://127.0.0.1:2379"],
      prefix: "/t",
    });
    const e = failure({ datastore: { type: "sqlite", pathh: "/var/lib/tortie/store.db" } });
    expect(e.message).toContain('unknown key "pathh" at datastore.pathh (did you mean "path"?)');
    // "prefix" belongs to etcd only
    const s = failure({ datastore: { type: "sqlite", path: "/s.db", prefix: "/t" } });
    expect(s.message).toContain('unknown key "prefix" at datastore.prefix');
    expect(
      unknownKeys({ datastore: { type: "etcd", endpoint: ["x"] } }).map((u) => u.suggestion),
    ).toEqual(["endpoints"]);
  });

  it("still reports values out of range with code 7", () => {
    const e = failure({ mtu: 10 });
    expect(e.code).toBe(7);
    expect(e.message).toContain("mtu");
  });

  it("documents every key of its schemas", () => {
    const undocumented = (shape: Record<string, z.core.$ZodType>) =>
      Object.entries(shape)
        .filter(([, s]) => !z.globalRegistry.get(s)?.description)
        .map(([k]) => k);
    expect(undocumented(tortieConfigSchema.shape)).toEqual([]);
    expect(undocumented(tortieIpamSchema.shape)).toEqual([]);
  });

  it("the README's configuration table lists exactly the schemas' keys", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const rows = [...readme.matchAll(/^\| `([a-zA-Z0-9_.]+)` \|/gm)].map((m) => m[1]);
    const expected = [
      ...TORTIE_CONFIG_KEYS,
      ...Object.keys(tortieIpamSchema.shape)
        .filter((k) => k !== "type")
        .map((k) => `ipam.${k}`),
      "datastore.type",
      "datastore.path",
      "datastore.endpoints",
      "datastore.prefix",
    ];
    expect([...rows].sort()).toEqual([...expected].sort());
  });
});

describe("tortie plugin configuration, fuzzed", () => {
  const key = fc.oneof(
    fc.constantFrom(...TORTIE_CONFIG_KEYS, ...CNI_SPEC_KEYS, "nodeName", "cni.dev/x", "type"),
    fc.string({ maxLength: 12 }),
  );
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.record({ type: fc.constantFrom("tortie", "host-local", "sqlite", "etcd") }),
  );
  it("any configuration is accepted or refused with code 7, never another exception", () => {
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 6 }), (extra) => {
        let cfg: ReturnType<typeof parsePluginConfig>;
        try {
          cfg = parsePluginConfig({ ...base, ...extra });
        } catch (e) {
          expect(e).toBeInstanceOf(CniError);
          return;
        }
        try {
          parseTortieConfig(cfg);
          // accepted: nothing outside the spec's and the plugin's keys
          expect(unknownKeys(cfg.raw)).toEqual([]);
        } catch (e) {
          expect(e).toBeInstanceOf(CniError);
          expect((e as CniError).code).toBe(7);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
