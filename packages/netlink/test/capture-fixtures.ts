// Captures real kernel bytes for the codec's fixtures.
//
//   sudo npx tsx packages/netlink/test/capture-fixtures.ts
//
// Builds a namespace with iproute2 (the commands are in SETUP and written
// into each fixture), dumps links, addresses, routes and neighbours with a
// raw AF_NETLINK socket, and writes every datagram as hex into
// src/wire/fixtures/<kind>.json. It also records iproute2's own requests
// (strace of sendmsg) for a few commands into requests.json.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Netns } from "../src/socket/netns.js";
import { NetlinkSocket } from "../src/socket/socket.js";
import { Writer } from "../src/wire/bytes.js";
import { AddressFamily, NlmFlags, Rtm } from "../src/wire/constants.js";
import { type Body, encodeMessage } from "../src/wire/message.js";

const NS = `nlfix${process.pid}`;
const PEER = `${NS}p`;
const SETUP = [
  `ip netns add ${NS}`,
  `ip netns add ${PEER}`,
  `ip -n ${NS} link set lo up`,
  `ip -n ${NS} link add br0 type bridge`,
  `ip -n ${NS} link add veth0 mtu 1400 type veth peer name eth0 netns ${PEER}`,
  `ip -n ${NS} link set veth0 master br0`,
  `ip -n ${NS} link add vx0 type vxlan id 42 dstport 4789 local 192.0.2.1`,
  `ip -n ${NS} link set br0 up`,
  `ip -n ${NS} link set veth0 up`,
  `ip -n ${NS} addr add 192.0.2.1/24 dev br0`,
  `ip -n ${NS} addr add 2001:db8::1/64 dev br0 nodad`,
  `ip -n ${NS} route add 198.51.100.0/24 via 192.0.2.2 proto 84 metric 10`,
  `ip -n ${NS} route add blackhole 198.51.100.128/25`,
  `ip -n ${NS} route add unreachable 203.0.113.0/26 table 1000`,
  `ip -n ${NS} route add 203.0.113.64/26 nexthop via 192.0.2.2 weight 1 nexthop via 192.0.2.3 weight 3`,
  `ip -n ${NS} route add 203.0.113.128/26 via inet6 2001:db8::2 dev br0`,
  `ip -n ${NS} route add 198.51.100.77/32 via 203.0.113.1 dev br0 onlink`,
  `ip -n ${NS} route add 2001:db8:1::/48 via 2001:db8::2 proto 84`,
  `ip -n ${NS} neigh add 192.0.2.9 lladdr 02:00:5e:00:53:09 dev br0 nud permanent`,
  `ip -n ${NS} neigh add 2001:db8::9 lladdr 02:00:5e:00:53:0a dev br0 nud permanent`,
];

const sh = (cmd: string) => execFileSync("sh", ["-c", cmd], { encoding: "utf8" });
const out = join(dirname(fileURLToPath(import.meta.url)), "../src/wire/fixtures");

function dump(sock: NetlinkSocket, type: number, body: Body): string[] {
  const w = new Writer();
  encodeMessage(w, { type, flags: NlmFlags.request | NlmFlags.dump, seq: 1 }, body);
  sock.send(w.finish());
  const datagrams: string[] = [];
  for (;;) {
    const d = sock.recv();
    if (!d) continue;
    datagrams.push(Buffer.from(d).toString("hex"));
    if (d.length >= 20 && Buffer.from(d).readUInt16LE(4) === 3) return datagrams;
    const b = Buffer.from(d);
    let off = 0;
    let done = false;
    while (off < b.length) {
      if (b.readUInt16LE(off + 4) === 3) done = true;
      off += (b.readUInt32LE(off) + 3) & ~3;
    }
    if (done) return datagrams;
  }
}

try {
  for (const c of SETUP) sh(c);
  const sock = NetlinkSocket.open({ netns: Netns.named(NS) });
  const kinds: [string, number, Body][] = [
    ["links", Rtm.getLink, { kind: "link", link: { index: 0 } }],
    [
      "addresses",
      Rtm.getAddr,
      { kind: "address", address: { family: 0, prefixlen: 0, flags: 0, scope: 0, index: 0 } },
    ],
    [
      "routes4",
      Rtm.getRoute,
      {
        kind: "route",
        route: { family: AddressFamily.inet, dst: "", table: 0, protocol: 0, scope: 0, type: 0 },
      },
    ],
    [
      "routes6",
      Rtm.getRoute,
      {
        kind: "route",
        route: { family: AddressFamily.inet6, dst: "", table: 0, protocol: 0, scope: 0, type: 0 },
      },
    ],
    [
      "neighbours",
      Rtm.getNeigh,
      { kind: "neighbour", neighbour: { family: 0, index: 0, state: 0, flags: 0, type: 0 } },
    ],
  ];
  for (const [name, type, body] of kinds) {
    const datagrams = dump(sock, type, body);
    writeFileSync(
      join(out, `${name}.json`),
      `${JSON.stringify({ kernel: sh("uname -r").trim(), setup: SETUP, datagrams }, null, 1)}\n`,
    );
  }
  sock.close();
  // iproute2's own requests, as strace shows its sendmsg buffers.
  const reqs: { command: string; hex: string }[] = [];
  for (const cmd of [
    `ip -n ${NS} route add 198.51.100.64/26 via 192.0.2.2 proto 84 metric 5 table 100`,
    `ip -n ${NS} route add 198.51.100.0/28 nexthop via 192.0.2.2 weight 2 nexthop via 192.0.2.3`,
    `ip -n ${NS} addr add 192.0.2.5/24 dev br0`,
    `ip -n ${NS} link add vv0 type veth peer name vv1`,
    `ip -n ${NS} neigh add 192.0.2.10 lladdr 02:00:5e:00:53:10 dev br0 nud permanent`,
  ]) {
    const trace = execFileSync(
      "sh",
      ["-c", `strace -f -e trace=sendmsg -e write=all ${cmd} 2>&1 >/dev/null`],
      { encoding: "utf8" },
    );
    // The hex dump after the last sendmsg is the request (earlier ones resolve names).
    const blocks = trace.split(/^sendmsg\(/m).slice(1);
    const lastBlock = blocks.at(-1) ?? "";
    const hex = [...lastBlock.matchAll(/^ \| [0-9a-f]{5} {2}((?:[0-9a-f]{2} {1,2}){1,16})/gm)]
      .map((m) => (m[1] ?? "").replace(/ /g, ""))
      .join("");
    if (!hex) throw new Error(`no sendmsg in strace of ${cmd}`);
    reqs.push({ command: cmd.replace(`-n ${NS} `, ""), hex });
  }
  writeFileSync(join(out, "requests.json"), `${JSON.stringify(reqs, null, 1)}\n`);
  console.log(`wrote fixtures to ${out}`);
} finally {
  try {
    sh(`ip netns del ${NS}`);
  } catch {}
  try {
    sh(`ip netns del ${PEER}`);
  } catch {}
}
