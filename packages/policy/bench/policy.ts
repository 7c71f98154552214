// Benchmark: Tortie's policy compiler and nftables apply, side by side with
// the same ruleset through iptables-restore (nft and legacy backends), in
// one run, inside a throwaway network namespace. Prints medians and ratios.
//
//   npm run bench -w @tortie/policy          (as root)
//   BENCH_RUNS=5 npm run bench -w @tortie/policy
import { execFile } from "node:child_process";
import { createTopology } from "@tortie/testbed";
import {
  fullScript,
  NftApplier,
  NftRenderer,
  nftRunner,
  PolicyEngine,
  type Ruleset,
  renderRuleset,
} from "../src/index.js";
import { iptablesRestore } from "./iptables.js";
import { endpoint, epIp, policy, world } from "./world.js";

const ENDPOINTS = 10_000;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const now = () => performance.now();

function execIn(netns: string, argv: string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = execFile(
      "ip",
      ["netns", "exec", netns, ...argv],
      { maxBuffer: 1 << 30, timeout: 300_000 },
      (err, _o, e) =>
        err ? reject(new Error(`${argv[0]}: ${String(e).slice(0, 400)}`)) : resolve(),
    );
    c.stdin?.on("error", () => undefined);
    c.stdin?.end(input);
  });
}

async function timeIt(fn: () => Promise<unknown>, runs = RUNS): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = now();
    await fn();
    t.push(now() - t0);
  }
  return median(t);
}

const topo = await createTopology({ hosts: ["node"] });
const ns = topo.host("node").netns;
const run = nftRunner({ netns: ns });
const lines: string[] = [];
const say = (s: string) => {
  lines.push(s);
  console.log(s);
};

try {
  say(
    `policy benchmark: ${ENDPOINTS} endpoints, median of ${RUNS} runs, ${new Date().toISOString()}`,
  );
  say("");
  say(
    "| policies | compile (resources → nft text) | nft -f full apply | iptables-nft-restore | iptables-legacy-restore | nft rules / sets / elements / chains | iptables rules |",
  );
  say("|---|---|---|---|---|---|---|");
  const fullApply = new Map<number, number>();
  let engine10k: PolicyEngine | undefined;
  for (const P of [1_000, 10_000]) {
    const resources = world(ENDPOINTS, P);
    let rs: Ruleset | undefined;
    let engine: PolicyEngine | undefined;
    const compile = await timeIt(async () => {
      engine = new PolicyEngine();
      engine.apply(resources);
      rs = renderRuleset(engine, { families: [4] });
      fullScript(rs);
    });
    const script = fullScript(rs!);
    const nft = await timeIt(() => run(script.text));
    fullApply.set(P, nft);
    const ipt = iptablesRestore(rs!);
    const iptNft = await timeIt(() => execIn(ns, ["iptables-nft-restore"], ipt.text));
    await execIn(ns, ["iptables-nft-restore"], "*filter\nCOMMIT\n");
    const iptLegacy = await timeIt(() => execIn(ns, ["iptables-legacy-restore"], ipt.text));
    await execIn(ns, ["iptables-legacy-restore"], "*filter\nCOMMIT\n");
    say(
      `| ${P.toLocaleString("en")} | ${ms(compile)} ms | ${ms(nft)} ms | ${ms(iptNft)} ms (nft ×${(iptNft / nft).toFixed(2)}) | ${ms(iptLegacy)} ms (nft ×${(iptLegacy / nft).toFixed(2)}) | ${script.rules.toLocaleString("en")} / ${rs!.sets.size.toLocaleString("en")} / ${script.elements.toLocaleString("en")} / ${rs!.chains.size.toLocaleString("en")} (${(script.text.length / 1e6).toFixed(1)} MB) | ${ipt.rules.toLocaleString("en")} (${(ipt.text.length / 1e6).toFixed(1)} MB) |`,
    );
    if (P === 10_000) engine10k = engine;
  }

  // Incremental: one policy, then one pod label, at 10,000 policies.
  const engine = engine10k!;
  const renderer = new NftRenderer({ families: [4] });
  const applier = new NftApplier(run);
  const t0 = now();
  const first = renderer.render(engine);
  const firstRender = now() - t0;
  await applier.apply(first);
  say("");
  say(
    `Incremental at 10,000 policies (full render ${ms(firstRender)} ms, full nft apply ${ms(fullApply.get(10_000)!)} ms):`,
  );
  say("");
  say(
    "| change | state update + render + diff | nft -f | total | kernel ops (commands / elements / rules) | total vs full nft apply |",
  );
  say("|---|---|---|---|---|---|");
  for (const kind of ["one policy's rules", "one pod's label"] as const) {
    const compute: number[] = [];
    const apply: number[] = [];
    const ops: string[] = [];
    for (let k = 0; k < RUNS; k++) {
      const t1 = now();
      if (kind === "one policy's rules") engine.apply([policy(101 * k + 7, k + 1)]);
      else engine.apply([endpoint(37 * k + 5, `app${(k + 3) % 25}`)]);
      const rs = renderer.render(engine);
      const t2 = now();
      const res = await applier.apply(rs);
      const t3 = now();
      compute.push(t2 - t1);
      apply.push(t3 - t2);
      ops.push(`${res.commands} / ${res.elements} / ${res.rules}`);
    }
    const total = median(compute) + median(apply);
    say(
      `| ${kind} | ${ms(median(compute))} ms | ${ms(median(apply))} ms | ${ms(total)} ms | ${ops.join(", ")} | ${((100 * total) / fullApply.get(10_000)!).toFixed(1)} % |`,
    );
  }

  // Engine throughput at 10,000 policies.
  // Half random pairs, half pairs a policy allows (source app = destination app + 1, same namespace).
  const flows = Array.from({ length: 200_000 }, (_, i) => {
    const b = (i * 104729 + 13) % ENDPOINTS;
    const a = i % 2 ? (i * 7919) % ENDPOINTS : (b % 100) + 100 * ((Math.floor(b / 100) + 1) % 25);
    const udp = i % 5 === 0;
    return {
      src: epIp(a),
      dst: epIp(b),
      protocol: udp ? "UDP" : "TCP",
      dstPort: udp ? 53 : [80, 443, 8080, 5432, 22][i % 5]!,
    };
  });
  const rate = (trace: boolean, n: number) => {
    const t = now();
    for (let i = 0; i < n; i++) engine.evaluate(flows[i]!, { trace });
    return (n / (now() - t)) * 1000;
  };
  rate(false, 20_000); // warm-up
  const noTrace = median(Array.from({ length: RUNS }, () => rate(false, 200_000)));
  const withTrace = median(Array.from({ length: RUNS }, () => rate(true, 50_000)));
  const verdicts = flows.slice(0, 10_000).map((f) => engine.evaluate(f, { trace: false }).verdict);
  say("");
  say(
    `Engine at 10,000 policies × ${ENDPOINTS.toLocaleString("en")} endpoints: ${Math.round(noTrace).toLocaleString("en")} flows/s (verdict only), ${Math.round(withTrace).toLocaleString("en")} flows/s (with trace); ${verdicts.filter((v) => v === "allow").length} of 10,000 sample flows allowed.`,
  );
} finally {
  await topo.destroy();
}
