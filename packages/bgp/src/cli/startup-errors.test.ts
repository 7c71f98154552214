import { describe, expect, it } from "vitest";
import { ConfigError, parseSpeakerConfig } from "../speaker/config.js";
import { SyscallError } from "../speaker/libc.js";
import { checkFamilies } from "./daemon.js";
import { startupMessage } from "./startup-errors.js";

const listen = { address: "::", port: 179 };

describe("tortie-bgp start-up failures: one line naming what and why", () => {
  it("bind: address in use, permission denied, address not here", () => {
    expect(startupMessage(new SyscallError("bind", 98), { stage: "listen", listen })).toMatch(
      /^tortie-bgp: cannot listen on \[::\]:179: address in use \(is another BGP daemon/,
    );
    expect(
      startupMessage(new SyscallError("bind", 13), {
        stage: "listen",
        listen: { address: "192.0.2.2", port: 179 },
        netns: "/var/run/netns/blue",
      }),
    ).toBe(
      "tortie-bgp: cannot listen on 192.0.2.2:179 in network namespace /var/run/netns/blue: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)",
    );
    expect(startupMessage(new SyscallError("bind", 99), { stage: "listen", listen })).toContain(
      "not assigned to any interface",
    );
  });

  it("netns, socket directory, configuration file", () => {
    const enoent = Object.assign(new Error("x"), { code: "ENOENT" });
    expect(startupMessage(enoent, { stage: "netns", netns: "/var/run/netns/blue" })).toContain(
      'network namespace /var/run/netns/blue does not exist (create it with "ip netns add blue"',
    );
    expect(startupMessage(enoent, { stage: "socket", socketPath: "/nope/tortie.sock" })).toBe(
      "tortie-bgp: cannot create the status socket /nope/tortie.sock: directory /nope does not exist (use --socket PATH)",
    );
    const eacces = Object.assign(new Error("x"), { code: "EACCES" });
    expect(startupMessage(eacces, { stage: "socket", socketPath: "/ro/t.sock" })).toContain(
      "directory /ro is not writable",
    );
    expect(startupMessage(enoent, { stage: "config", configPath: "/etc/bgp.yaml" })).toBe(
      "tortie-bgp: cannot read the configuration /etc/bgp.yaml: no such file",
    );
  });

  it("never more than one line, whatever the error", () => {
    const e = new Error("first\nsecond\n    at somewhere (file.ts:1:1)");
    for (const stage of ["config", "netns", "listen", "socket", "start"] as const)
      expect(startupMessage(e, { stage, listen })).not.toContain("\n");
  });

  it("a configuration error names the file and each path", () => {
    const e = new ConfigError([{ path: "peers.0.md5Password", message: "unknown key" }]);
    expect(startupMessage(e, { stage: "config", configPath: "bgp.yaml" })).toBe(
      "tortie-bgp: bgp.yaml: invalid BGP configuration: peers.0.md5Password: unknown key",
    );
  });
});

describe("tortie-bgp: originated families must be negotiated by some peer", () => {
  it("an IPv6 prefix with only IPv4 peers is an error; with an IPv6 family it is not", () => {
    const base = { asn: 64512, routerId: "192.0.2.2", originate: [{ prefix: "2001:db8:7::/48" }] };
    const only4 = parseSpeakerConfig({ ...base, peers: [{ address: "192.0.2.1", asn: 1 }] });
    expect(() => checkFamilies(only4)).toThrow(
      'originate.0.prefix: 2001:db8:7::/48 is ipv6-unicast, which no peer negotiates (add "ipv6-unicast" to a peer\'s families)',
    );
    const both = parseSpeakerConfig({
      ...base,
      peers: [{ address: "192.0.2.1", asn: 1, families: ["ipv4-unicast", "ipv6-unicast"] }],
    });
    expect(() => checkFamilies(both)).not.toThrow();
  });
});
