import { describe, expect, it } from "vitest";
import { defaultContainerId, netnsPath, parseCli, UsageError } from "./args.js";

describe("tortie-cni command line", () => {
  it("parses add with defaults", () => {
    const c = parseCli(["add", "pods", "pod1"], {});
    expect(c).toMatchObject({
      verb: "add",
      net: "pods",
      netns: "/var/run/netns/pod1",
      ifname: "eth0",
      args: [],
      capabilityArgs: {},
      path: ["/opt/cni/bin", "/usr/lib/cni"],
      confDirs: ["/etc/cni/net.d"],
      cacheDir: "/var/lib/cni/tortie-cni",
    });
    expect(c.containerId).toBe(defaultContainerId("/var/run/netns/pod1"));
    expect(c.containerId).toMatch(/^tortie-[0-9a-f]{16}$/);
  });

  it("reads the environment", () => {
    const c = parseCli(["del", "./x.conflist", "/proc/1/ns/net"], {
      CNI_IFNAME: "net1",
      CNI_CONTAINERID: "abc",
      CNI_ARGS: "A=1",
      CAP_ARGS: '{"portMappings":[]}',
      CNI_PATH: "/a:/b",
      NETCONFPATH: "/c",
      CNI_CACHE_DIR: "/d",
    });
    expect(c).toMatchObject({
      netns: "/proc/1/ns/net",
      ifname: "net1",
      containerId: "abc",
      args: [["A", "1"]],
      capabilityArgs: { portMappings: [] },
      path: ["/a", "/b"],
      confDirs: ["/c"],
      cacheDir: "/d",
    });
  });

  it("parses gc attachments and status/version", () => {
    expect(parseCli(["gc", "n", "c1:eth0", "c:2:net1"], {}).extraAttachments).toEqual([
      { containerID: "c1", ifname: "eth0" },
      { containerID: "c:2", ifname: "net1" },
    ]);
    expect(parseCli(["status", "n"], {}).netns).toBe("");
    expect(parseCli(["version", "ptp"], {}).net).toBe("ptp");
  });

  it.each([
    [[], /missing command/],
    [["frob", "n"], /unknown command/],
    [["add"], /missing <net>/],
    [["add", "n"], /want <net> <netns>/],
    [["status", "n", "x"], /too many/],
    [["gc", "n", "noifname"], /not <containerID>:<ifname>/],
  ])("rejects %j", (argv, msg) => {
    expect(() => parseCli(argv, {})).toThrow(UsageError);
    expect(() => parseCli(argv, {})).toThrow(msg);
  });

  it("rejects bad environment values", () => {
    expect(() => parseCli(["add", "n", "p"], { CNI_IFNAME: "x".repeat(16) })).toThrow(/CNI_IFNAME/);
    expect(() => parseCli(["add", "n", "p"], { CAP_ARGS: "{" })).toThrow(/CAP_ARGS/);
    expect(() => parseCli(["add", "n", "p"], { CAP_ARGS: "[]" })).toThrow(/object/);
    expect(() => parseCli(["add", "n", "p"], { CNI_ARGS: "A" })).toThrow(/CNI_ARGS/);
  });

  it("maps namespace names to paths", () => {
    expect(netnsPath("x")).toBe("/var/run/netns/x");
    expect(netnsPath("/run/netns/x")).toBe("/run/netns/x");
  });
});
