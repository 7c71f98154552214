// calicoctl's `ipam` verbs over @tortie/ipam: show (pools, blocks, borrowed
// addresses, configuration, one address), check (report of leaks and
// inconsistencies), release (an address, or what a report found),
// configure (IPAMConfiguration) and split (a pool into smaller pools).
//
// Liveness for `check`: an allocation is in use when a WorkloadEndpoint in
// the datastore holds its address — a pod's allocation is never reported as
// leaked while its endpoint exists — and when it is younger than the grace
// period (an ADD in flight writes its endpoint after the allocation).
import { readFileSync, writeFileSync } from "node:fs";
import { CALICO_API, type Resource, ResourceClient, validateResource } from "@tortie/api";
import type { Datastore } from "@tortie/datastore";
import {
  type CheckReport,
  check,
  contains,
  formatCidr,
  formatIp,
  Ipam,
  type IpamConfig,
  ipamConfigFromResources,
  isClean,
  type Leak,
  ORPHANED_BLOCKS,
  parseCidr,
  parseIp,
} from "@tortie/ipam";
import { CommandError, UsageError } from "../errors.js";
import { boxTable } from "../table.js";
import type { Out } from "./resources.js";

const pct = (n: number, of: number) => `${n} (${of === 0 ? 0 : Math.round((100 * n) / of)}%)`;

/** `ipam show` and its variants. */
export async function ipamShow(
  store: Datastore,
  o: { showBlocks?: boolean; showBorrowed?: boolean; showConfiguration?: boolean; ip?: string },
  out: Out,
): Promise<void> {
  const ipam = new Ipam({ store });
  if (o.ip !== undefined) {
    out.stdout.write(await showIp(ipam, o.ip));
    return;
  }
  if (o.showConfiguration) {
    const c = await ipam.config(true);
    out.stdout.write(
      boxTable(
        ["PROPERTY", "VALUE"],
        [
          ["StrictAffinity", String(c.strictAffinity)],
          ["AutoAllocateBlocks", String(c.autoAllocateBlocks)],
          ["MaxBlocksPerHost", String(c.maxBlocksPerHost)],
        ],
      ),
    );
    return;
  }
  if (o.showBorrowed) {
    const rows: string[][] = [];
    for (const b of await ipam.listBlocks()) {
      const owner = b.affinity?.startsWith("host:") ? b.affinity.slice(5) : "";
      const c = parseCidr(b.cidr);
      b.allocations.forEach((a, ord) => {
        if (a === null) return;
        const attr = b.attributes[a];
        const node = attr?.secondary.node;
        if (!node || node === owner) return;
        const who = attr.secondary.pod
          ? `${attr.secondary.namespace ?? "default"}/${attr.secondary.pod}`
          : (attr.handleId ?? "");
        rows.push([
          formatIp(c.family, c.base + BigInt(ord)),
          node,
          b.cidr,
          owner || "(none)",
          attr.secondary.pod ? "pod" : "other",
          who,
        ]);
      });
    }
    out.stdout.write(
      boxTable(["IP", "BORROWING-NODE", "BLOCK", "BLOCK OWNER", "TYPE", "ALLOCATED-TO"], rows),
    );
    return;
  }
  const rows: string[][] = [];
  for (const p of await ipam.getUtilization()) {
    const orphans = p.name === ORPHANED_BLOCKS;
    if (orphans && p.blocks.length === 0) continue;
    if (orphans) rows.push(["Orphaned", "(blocks outside every pool)", "", "", ""]);
    else
      rows.push([
        "IP Pool",
        p.cidr,
        String(p.capacity),
        pct(p.inUse, p.capacity),
        pct(p.available, p.capacity),
      ]);
    if (o.showBlocks || orphans) {
      for (const b of [...p.blocks].sort((x, y) => cmpCidr(x.cidr, y.cidr))) {
        rows.push([
          "Block",
          b.cidr,
          String(b.capacity),
          pct(b.inUse, b.capacity),
          pct(b.available, b.capacity),
        ]);
      }
    }
  }
  out.stdout.write(
    boxTable(["GROUPING", "CIDR", "IPS TOTAL", "IPS IN USE", "IPS FREE"], rows, new Set([2])),
  );
}

function cmpCidr(a: string, b: string): number {
  const x = parseCidr(a);
  const y = parseCidr(b);
  return x.family - y.family || (x.base < y.base ? -1 : x.base > y.base ? 1 : x.prefix - y.prefix);
}

async function showIp(ipam: Ipam, text: string): Promise<string> {
  let ip: ReturnType<typeof parseIp>;
  try {
    ip = parseIp(text);
  } catch {
    throw new UsageError(`--ip: ${JSON.stringify(text)} is not an IP address`);
  }
  const cfg = await ipam.config(true);
  const name = formatIp(ip.family, ip.value);
  for (const r of cfg.reservations) {
    if (contains(parseCidr(r), ip)) return `IP ${name} is reserved (IPReservation ${r}).\n`;
  }
  for (const b of await ipam.listBlocks()) {
    const c = parseCidr(b.cidr);
    if (!contains(c, ip)) continue;
    const a = b.allocations[Number(ip.value - c.base)];
    if (a === null || a === undefined) return `IP ${name} is not assigned (block ${b.cidr}).\n`;
    const attr = b.attributes[a];
    const lines = [
      `IP ${name} is in use`,
      `Block: ${b.cidr} (affine to ${b.affinity?.replace(/^host:/, "") ?? "no node"})`,
    ];
    if (attr?.handleId) lines.push(`Handle: ${attr.handleId}`);
    const sec = Object.entries(attr?.secondary ?? {}).sort(([x], [y]) => x.localeCompare(y));
    if (sec.length) lines.push("Attributes:", ...sec.map(([k, v]) => `  ${k}: ${v}`));
    return `${lines.join("\n")}\n`;
  }
  const pool = cfg.pools.find((p) => contains(parseCidr(p.cidr), ip));
  return pool
    ? `IP ${name} is not assigned (pool ${pool.name}, no block yet).\n`
    : `IP ${name} is not in any IP pool.\n`;
}

/** The liveness rule of `ipam check` (see the file comment). */
async function livenessFromEndpoints(store: Datastore) {
  const weps = await new ResourceClient(store).list(CALICO_API, "WorkloadEndpoint");
  const inUse = new Set<string>();
  for (const w of weps) {
    for (const n of (w as { spec: { ipNetworks?: string[] } }).spec.ipNetworks ?? []) {
      const ip = parseIp(n.split("/")[0]!);
      inUse.add(formatIp(ip.family, ip.value));
    }
  }
  return inUse;
}

/** `ipam check`: the report; written as JSON with `-o`. */
export async function ipamCheck(
  store: Datastore,
  o: { output?: string; graceMs: number },
  out: Out,
  now = Date.now(),
): Promise<boolean> {
  const ipam = new Ipam({ store });
  const t0 = Date.now();
  if (out.progress) out.stderr.write("reading workload endpoints and IPAM blocks…");
  const inUse = await livenessFromEndpoints(store);
  // The addresses each handle holds, from one read of the blocks, so that a
  // handle is judged by its addresses without a store read per handle.
  const byHandle = new Map<string, string[]>();
  for (const b of await ipam.listBlocks()) {
    const c = parseCidr(b.cidr);
    b.allocations.forEach((a, ord) => {
      const h = a === null ? undefined : b.attributes[a]?.handleId;
      if (!h) return;
      const list = byHandle.get(h) ?? [];
      list.push(formatIp(c.family, c.base + BigInt(ord)));
      byHandle.set(h, list);
    });
  }
  const report = await check(ipam, {
    now,
    isLive: (handleId) => {
      const ips = byHandle.get(handleId) ?? [];
      return ips.length === 0 || ips.some((ip) => inUse.has(ip));
    },
  });
  if (out.progress)
    out.stderr.write(
      `\r\x1b[Kchecked ${report.allocations} allocations in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
    );
  const withGrace: CheckReport & { graceMs: number } = { ...report, graceMs: o.graceMs };
  if (o.output) writeFileSync(o.output, `${JSON.stringify(withGrace, null, 2)}\n`);
  const lines = [
    `Checked ${report.allocations} allocations.`,
    `Found ${report.leaks.length} leaked address(es)${report.leaks.length ? ":" : "."}`,
    ...report.leaks.map((l: Leak) => `  ${l.ip} in ${l.block} (handle ${l.handleId ?? "none"})`),
    `Found ${report.handleMismatches.length} handle(s) whose counts disagree with the blocks.`,
    `Found ${report.affinityProblems.length} affinity problem(s)${report.affinityProblems.length ? ":" : "."}`,
    ...report.affinityProblems.map((a) => `  ${a.kind}: ${a.cidr} (${a.host})`),
    `Found ${report.doubleAllocations.length} address(es) held twice.`,
    `Found ${report.blockProblems.length} block(s) with inconsistent records.`,
  ];
  if (o.output)
    lines.push(
      `Report written to ${o.output}; 'tortiectl ipam release --from-report ${o.output}' releases the leaks.`,
    );
  out.stdout.write(`${lines.join("\n")}\n`);
  return isClean(report);
}

/** `ipam release --ip` / `--from-report`. */
export async function ipamRelease(
  store: Datastore,
  o: { ip?: string[]; fromReport?: string },
  out: Out,
  now = Date.now(),
): Promise<void> {
  const ipam = new Ipam({ store });
  if (o.fromReport) {
    if (o.ip?.length) throw new UsageError("ipam release: give --ip or --from-report, not both");
    let report: CheckReport & { graceMs?: number };
    try {
      report = JSON.parse(readFileSync(o.fromReport, "utf8"));
    } catch (e) {
      throw new UsageError(`--from-report ${o.fromReport}: ${(e as Error).message.split("\n")[0]}`);
    }
    if (!Array.isArray(report.leaks) || typeof report.generatedAt !== "number") {
      throw new UsageError(
        `--from-report ${o.fromReport}: not a report of 'tortiectl ipam check -o'`,
      );
    }
    const grace = report.graceMs ?? 0;
    if (now - report.generatedAt < grace) {
      throw new CommandError(
        `the report is ${Math.round((now - report.generatedAt) / 1000)} s old; release leaks only after the grace period (${grace / 1000} s) so that pods being created are not mistaken for leaks — run 'ipam check' again then`,
      );
    }
    // Each leak is released only if the address still carries the same
    // handle and sequence number as when the report was made: a newer pod
    // that took the address since is never touched.
    const inUse = await livenessFromEndpoints(store);
    const specs = report.leaks
      .filter((l) => !inUse.has(l.ip))
      .map((l) => ({
        ip: l.ip,
        sequenceNumber: l.sequenceNumber,
        ...(l.handleId ? { handleId: l.handleId } : {}),
      }));
    if (specs.length === 0) {
      out.stdout.write("Nothing to release.\n");
      return;
    }
    const r = await ipam.releaseIps(specs).catch((e: Error) => {
      throw new CommandError(
        `${e.message.split("\n")[0]} (nothing was released; run 'ipam check' again)`,
      );
    });
    out.stdout.write(
      `Released ${r.released.length} address(es)${r.unallocated.length ? `; ${r.unallocated.length} already free` : ""}.\n`,
    );
    return;
  }
  if (!o.ip?.length) throw new UsageError("ipam release: give --ip ADDR or --from-report FILE");
  const inUse = await livenessFromEndpoints(store);
  for (const ip of o.ip) {
    try {
      parseIp(ip);
    } catch {
      throw new UsageError(`--ip: ${JSON.stringify(ip)} is not an IP address`);
    }
    if (inUse.has(formatIp(parseIp(ip).family, parseIp(ip).value))) {
      throw new CommandError(
        `${ip} belongs to a workload endpoint; delete the pod instead of releasing its address`,
      );
    }
  }
  const r = await ipam.releaseIps(o.ip);
  for (const ip of r.released) out.stdout.write(`Successfully released IP address ${ip}\n`);
  for (const ip of r.unallocated) out.stdout.write(`IP address ${ip} was not assigned\n`);
}

/** `ipam configure`: IPAMConfiguration "default", validated as IPAM validates it. */
export async function ipamConfigure(
  store: Datastore,
  o: { strictaffinity?: string; maxBlocksPerHost?: string },
  out: Out,
): Promise<void> {
  if (o.strictaffinity === undefined && o.maxBlocksPerHost === undefined) {
    throw new UsageError(
      "ipam configure: give --strictaffinity=true|false and/or --max-blocks-per-host=N",
    );
  }
  if (
    o.strictaffinity !== undefined &&
    o.strictaffinity !== "true" &&
    o.strictaffinity !== "false"
  ) {
    throw new UsageError(`--strictaffinity must be true or false, not ${o.strictaffinity}`);
  }
  const max = o.maxBlocksPerHost === undefined ? undefined : Number(o.maxBlocksPerHost);
  if (max !== undefined && (!Number.isInteger(max) || max < 0))
    throw new UsageError("--max-blocks-per-host must be an integer ≥ 0");
  const client = new ResourceClient(store);
  const cur = (await client.get({
    apiVersion: CALICO_API,
    kind: "IPAMConfiguration",
    name: "default",
  })) as { spec: Record<string, unknown> } | undefined;
  const next = {
    apiVersion: CALICO_API,
    kind: "IPAMConfiguration",
    metadata: { name: "default" },
    spec: {
      ...(cur?.spec ?? {}),
      ...(o.strictaffinity !== undefined ? { strictAffinity: o.strictaffinity === "true" } : {}),
      ...(max !== undefined ? { maxBlocksPerHost: max } : {}),
    },
  };
  // The whole IPAM configuration the change leads to must be valid (Calico's
  // SetIPAMConfig rules) before anything is written.
  let cfg: IpamConfig;
  try {
    const others = [
      ...(await client.list(CALICO_API, "IPPool")),
      ...(await client.list(CALICO_API, "IPReservation")),
    ];
    cfg = ipamConfigFromResources([...others, validateResource(next)] as never);
  } catch (e) {
    throw new CommandError((e as Error).message.split("\n")[0]!);
  }
  await client.apply(next);
  await new Ipam({ store }).updateConfig(() => cfg);
  out.stdout.write(
    `Successfully set IPAMConfiguration: strictAffinity=${cfg.strictAffinity}, maxBlocksPerHost=${cfg.maxBlocksPerHost}\n`,
  );
}

/** `ipam split`: a disabled pool into `parts` equal pools. */
export async function ipamSplit(
  store: Datastore,
  o: { cidr?: string; name?: string; parts: string },
  out: Out,
): Promise<void> {
  const n = Number(o.parts);
  if (!Number.isInteger(n) || n < 2 || (n & (n - 1)) !== 0)
    throw new UsageError("ipam split: the number of pools must be a power of two ≥ 2");
  if ((o.cidr === undefined) === (o.name === undefined))
    throw new UsageError("ipam split: give --cidr or --name");
  const client = new ResourceClient(store);
  const pools = (await client.list(CALICO_API, "IPPool")) as (Resource & {
    spec: { cidr: string; blockSize: number; disabled?: boolean };
  })[];
  const pool = pools.find((p) =>
    o.name
      ? (p.metadata as { name: string }).name === o.name
      : formatCidr(parseCidr(p.spec.cidr)) === formatCidr(parseCidr(o.cidr!)),
  );
  if (!pool) throw new CommandError(`no IP pool ${o.name ?? o.cidr}`);
  const name = (pool.metadata as { name: string }).name;
  // As calicoctl: the pool must be disabled first, so that nothing allocates from it meanwhile.
  if (!pool.spec.disabled)
    throw new CommandError(
      `IP pool ${name} must be disabled before it is split (tortiectl patch ippool ${name} -p '{"spec":{"disabled":true}}')`,
    );
  const c = parseCidr(pool.spec.cidr);
  const bits = Math.log2(n);
  const prefix = c.prefix + bits;
  if (prefix > pool.spec.blockSize) {
    throw new CommandError(
      `IP pool ${name} (${pool.spec.cidr}) cannot be split into ${n}: each part would be smaller than a /${pool.spec.blockSize} block`,
    );
  }
  const step = 1n << BigInt((c.family === 4 ? 32 : 128) - prefix);
  const created: string[] = [];
  for (let i = 0; i < n; i++) {
    const cidr = formatCidr({ family: c.family, base: c.base + step * BigInt(i), prefix });
    const {
      resourceVersion: _rv,
      uid: _uid,
      creationTimestamp: _ct,
      ...meta
    } = pool.metadata as Record<string, unknown>;
    await client.create({
      ...pool,
      metadata: { ...meta, name: `${name}-split-${i + 1}` },
      spec: { ...pool.spec, cidr },
    });
    created.push(`${name}-split-${i + 1} ${cidr}`);
  }
  await client.delete({ apiVersion: CALICO_API, kind: "IPPool", name });
  out.stdout.write(
    `Split IP pool ${name} into ${n} pools (disabled, as it was):\n${created.map((c2) => `  ${c2}`).join("\n")}\n`,
  );
}
