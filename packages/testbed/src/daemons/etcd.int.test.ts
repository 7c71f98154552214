import { describe, expect, it } from "vitest";
import { requirePrereqs } from "../prereqs.js";
import { useTestbed } from "../vitest.js";
import { startEtcd } from "./etcd.js";

const skip = requirePrereqs(["etcd"]);

describe.skipIf(skip)("etcd launcher", () => {
  const tb = useTestbed();
  it("starts a healthy etcd on loopback on its own ports and stops it", async () => {
    const etcd = tb.track(await startEtcd());
    expect(etcd.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await etcd.etcdctl(["put", "/tortie/k", "v"]);
    expect(await etcd.etcdctl(["get", "/tortie/k", "--print-value-only"])).toBe("v\n");
    await etcd.stop();
    expect(etcd.running).toBe(false);
  });
});
