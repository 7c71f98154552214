import { MemoryStore } from "@tortie/datastore";
import { Ipam } from "@tortie/ipam";
import { beforeEach, describe, expect, it } from "vitest";
import { handleId, requestedIps, TortieIpam } from "./tortie-ipam.js";

let ipam: Ipam;
let ti: TortieIpam;
beforeEach(async () => {
  ipam = new Ipam({ store: new MemoryStore() });
  await ipam.applyPool({ name: "v4", cidr: "192.0.2.0/24" });
  await ipam.applyPool({ name: "v6", cidr: "2001:db8:42::/120" });
  ti = new TortieIpam(async () => ipam, "node1");
});

const call = (cmd: string, id: string, ipamCfg: object = {}, extra: object = {}, args = "") => ({
  env: { CNI_COMMAND: cmd, CNI_CONTAINERID: id, CNI_IFNAME: "eth0", CNI_ARGS: args },
  stdin: JSON.stringify({
    cniVersion: "1.1.0",
    name: "pods",
    type: "tortie",
    ipam: { type: "tortie", ...ipamCfg },
    ...extra,
  }),
  path: [],
});

describe("Tortie IPAM in the plugin", () => {
  it("assigns host prefixes from affine blocks, with pod attributes on the handle", async () => {
    const r = await ti.add(
      call("ADD", "c1", { assign_ipv6: true }, {}, "K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p"),
    );
    expect(r.ips?.map((i) => i.address)).toEqual([
      expect.stringMatching(/^192\.0\.2\.\d+\/32$/),
      expect.stringMatching(/^2001:db8:42::[0-9a-f]*\/128$/),
    ]);
    expect(await ipam.ipsByHandle(handleId("pods", "node1", "c1", "eth0"))).toHaveLength(2);
    await ti.check(call("CHECK", "c1", {}, { prevResult: r }));
    await ti.del(call("DEL", "c1"));
    await ti.del(call("DEL", "c1"));
    expect(await ipam.ipsByHandle(handleId("pods", "node1", "c1", "eth0"))).toEqual([]);
    await expect(ti.check(call("CHECK", "c1", {}, { prevResult: r }))).rejects.toMatchObject({
      code: 103,
    });
  });

  it("takes fixed addresses from runtimeConfig.ips, args.cni.ips or CNI_ARGS IP", async () => {
    expect(
      (await ti.add(call("ADD", "a", {}, { runtimeConfig: { ips: ["192.0.2.77/24"] } }))).ips,
    ).toEqual([{ address: "192.0.2.77/32" }]);
    expect(
      (await ti.add(call("ADD", "b", {}, { args: { cni: { ips: ["192.0.2.78"] } } }))).ips,
    ).toEqual([{ address: "192.0.2.78/32" }]);
    expect((await ti.add(call("ADD", "c", {}, {}, "IgnoreUnknown=1;IP=192.0.2.79"))).ips).toEqual([
      { address: "192.0.2.79/32" },
    ]);
    await expect(ti.add(call("ADD", "d", {}, {}, "IP=192.0.2.79"))).rejects.toMatchObject({
      code: 101,
    });
    expect(() => requestedIps({}, "IP=nope")).toThrow(expect.objectContaining({ code: 7 }));
  });

  it("chooses pools by name", async () => {
    await ipam.applyPool({ name: "other", cidr: "198.51.100.0/24" });
    const r = await ti.add(call("ADD", "c1", { ipv4_pools: ["other"] }));
    expect(r.ips?.[0]?.address).toMatch(/^198\.51\.100\./);
    await expect(ti.add(call("ADD", "c2", { ipv4_pools: ["nope"] }))).rejects.toMatchObject({
      code: 101,
    });
    await expect(ti.add(call("ADD", "c3", { assign_ipv4: false }))).rejects.toMatchObject({
      code: 7,
    });
  });

  it("GC releases this node's handles of this network that are not valid", async () => {
    await ti.add(call("ADD", "keep"));
    await ti.add(call("ADD", "drop"));
    const other = new TortieIpam(async () => ipam, "node2");
    await other.add(call("ADD", "elsewhere"));
    await ti.gc(
      call(
        "GC",
        "",
        {},
        { "cni.dev/valid-attachments": [{ containerID: "keep", ifname: "eth0" }] },
      ),
    );
    const ids = (await ipam.listHandles()).map((h) => h.value.handleId).sort();
    expect(ids).toEqual([
      handleId("pods", "node1", "keep", "eth0"),
      handleId("pods", "node2", "elsewhere", "eth0"),
    ]);
  });

  it("STATUS fails with code 50 when no pool has room", async () => {
    await ti.status(call("STATUS", ""));
    const small = new Ipam({ store: new MemoryStore() });
    await small.applyPool({ name: "tiny", cidr: "203.0.113.0/30", blockSize: 30 });
    const t = new TortieIpam(async () => small, "node1");
    for (let i = 0; i < 4; i++) await t.add(call("ADD", `c${i}`)).catch(() => undefined);
    await expect(t.status(call("STATUS", ""))).rejects.toMatchObject({ code: 50 });
  });
});
