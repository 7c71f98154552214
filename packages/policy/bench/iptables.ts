// The same ruleset for iptables-restore, for the side-by-side benchmark.
// Translates the renderer's nft rule vocabulary one to one. Sets have no
// iptables equivalent without ipset (not installed here): each set becomes a
// shared chain that sets a mark bit for each element it holds, and a rule
// that uses the set first clears the bit, jumps to that chain, then tests the
// bit (`-m mark`). Same verdicts, linear chains instead of hash lookups.
import type { Ruleset } from "../src/index.js";

// iptables has one FORWARD chain, so an Allow cannot be a plain ACCEPT (it
// would skip the ingress side): as Calico's iptables rules do, it sets an
// ACCEPT mark bit and returns, and every jump is followed by a return on it.
const MARK_RULES: Record<string, string[]> = {
  "meta mark set meta mark & 0xfffdffff": ["-j MARK --set-xmark 0x0/0x20000"],
  "meta mark & 0x00020000 == 0x00020000 return": ["-m mark --mark 0x20000/0x20000 -j RETURN"],
};
const BASE: Record<string, string> = {
  "fw-egress": "tortie-forward",
  "fw-ingress": "tortie-forward",
  "in-egress": "tortie-input",
  "out-ingress": "tortie-output",
};

const addrArg = (flag: "-s" | "-d", v: string, neg: boolean) =>
  v.includes("-") && !v.includes("/")
    ? `-m iprange ${neg ? "! " : ""}--${flag === "-s" ? "src" : "dst"}-range ${v}`
    : `${neg ? "! " : ""}${flag} ${v}`;

/** iptables-restore text for the filter table equivalent of `rs` (IPv4 rules only). */
export function iptablesRestore(rs: Ruleset): { text: string; rules: number } {
  const els = (name: string) => rs.sets.get(name)?.elements ?? [];
  const out: string[] = ["*filter"];
  const chainName = (n: string) => BASE[n] ?? n;
  for (const n of new Set([...rs.chains.keys()].map(chainName))) out.push(`:${n} - [0:0]`);
  out.push(
    "-A FORWARD -j tortie-forward",
    "-A INPUT -j tortie-input",
    "-A OUTPUT -j tortie-output",
  );
  let rules = 3;
  const setChains = new Map<string, string[]>();
  const vmaps = { "@from-ep": "-i", "@to-ep": "-o" } as const;
  for (const [name, chain] of rs.chains) {
    const c = chainName(name);
    for (const rule of chain.rules) {
      const emit = (args: string) => {
        out.push(`-A ${c} ${args}`);
        rules++;
      };
      if (MARK_RULES[rule]) {
        for (const r of MARK_RULES[rule]) emit(r);
        continue;
      }
      if (rule === "ct state established,related accept") {
        emit("-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
        continue;
      }
      if (rule === "ct state invalid drop") {
        emit("-m conntrack --ctstate INVALID -j DROP");
        continue;
      }
      const vm = /^(iif|oif)name vmap (@\S+)$/.exec(rule);
      if (vm) {
        emit("-j MARK --set-xmark 0x0/0x30000");
        for (const e of els(vm[2]!)) {
          const [iface, verdict] = e.split(" : ");
          emit(
            `${vmaps[vm[2] as keyof typeof vmaps]} ${iface!.replaceAll('"', "")} -j ${verdict!.replace("jump ", "")}`,
          );
        }
        continue;
      }
      if (rule.startsWith("jump ")) {
        emit(`-j ${rule.slice(5)}`);
        emit("-m mark --mark 0x10000/0x10000 -j RETURN");
        continue;
      }
      if (rule.includes("meta nfproto ipv6")) continue;
      // Tokenise the generated vocabulary.
      const comment = /comment "([^"]*)"/.exec(rule)?.[1];
      const body = rule.replace(/ ?comment "[^"]*"/, "").replace("meta nfproto ipv4 ", "");
      let verdict: string[];
      let m = body;
      if (m.endsWith(" accept")) {
        verdict = ["-j MARK --set-xmark 0x10000/0x10000", "RET 0x10000"];
        m = m.slice(0, -" accept".length);
      } else if (m.endsWith("meta mark set meta mark | 0x00020000 return")) {
        verdict = ["-j MARK --set-xmark 0x20000/0x20000", "RET 0x20000"];
        m = m.slice(0, -"meta mark set meta mark | 0x00020000 return".length);
      } else if (m.endsWith(" return")) {
        verdict = ["-j RETURN"];
        m = m.slice(0, -" return".length);
      } else if (m.endsWith("drop")) {
        verdict = ["-j DROP"];
        m = m.slice(0, -4);
      } else if (/log prefix "[^"]*"$/.test(m)) {
        verdict = [`-j LOG --log-prefix "${/log prefix "([^"]*)"$/.exec(m)![1]!.slice(0, 28)}"`];
        m = m.replace(/log prefix "[^"]*"$/, "");
      } else throw new Error(`untranslatable verdict: ${rule}`);
      m = m.replace(/\bcounter\b/, "").trim();
      // set references → marking chains (see the head of this file)
      let alts: string[] = [""];
      const pre: string[] = [];
      let bit = 0x40000;
      let markVal = 0;
      let markMask = 0;
      const useSet = (set: string, kind: "s" | "d" | "sp" | "dp", neg: boolean) => {
        const b = bit;
        bit <<= 1;
        const chain = `x${b.toString(16)}${kind}${set}`.slice(0, 28);
        if (!setChains.has(chain)) {
          const lines: string[] = [];
          for (const e of els(set)) {
            if (kind === "s" || kind === "d")
              lines.push(
                `${addrArg(kind === "s" ? "-s" : "-d", e, false)} -j MARK --set-xmark 0x${b.toString(16)}/0x${b.toString(16)}`,
              );
            else {
              const [ip, port] = e.split(" . ");
              lines.push(
                `${kind === "sp" ? "-s" : "-d"} ${ip} -p ${proto} -m ${proto} ${kind === "sp" ? "--sport" : "--dport"} ${port} -j MARK --set-xmark 0x${b.toString(16)}/0x${b.toString(16)}`,
              );
            }
          }
          setChains.set(chain, lines);
        }
        pre.push(`-j MARK --set-xmark 0x0/0x${b.toString(16)}`, `-j ${chain}`);
        markMask |= b;
        if (!neg) markVal |= b;
      };
      const toks = m.split(" ").filter(Boolean);
      let proto = "";
      for (let i = 0; i < toks.length; ) {
        const t = toks[i]!;
        const next = toks[i + 1];
        if (t === "meta" && next === "l4proto") {
          const neg = toks[i + 2] === "!=";
          const p = toks[i + (neg ? 3 : 2)]!;
          proto = neg ? "" : p;
          alts = alts.map((a) => `${a} ${neg ? "! " : ""}-p ${p}`);
          i += neg ? 4 : 3;
        } else if (t === "ip" && (next === "saddr" || next === "daddr") && toks[i + 2] === ".") {
          // ip daddr . th dport @q-set
          const flag = next === "saddr" ? "-s" : "-d";
          const pflag = toks[i + 4] === "sport" ? "--sport" : "--dport";
          const neg = toks[i + 5] === "!=";
          if (neg) throw new Error("negated named ports not translated");
          useSet(
            toks[i + 5]!.slice(1),
            ((flag === "-s" ? "s" : "d") + (pflag === "--sport" ? "p" : "p")) as "sp" | "dp",
            false,
          );
          i += 6;
        } else if (t === "ip" && (next === "saddr" || next === "daddr")) {
          const flag = next === "saddr" ? "-s" : "-d";
          const neg = toks[i + 2] === "!=";
          const v = toks[i + (neg ? 3 : 2)]!;
          if (v.startsWith("@")) useSet(v.slice(1), flag === "-s" ? "s" : "d", neg);
          else alts = alts.map((a) => `${a} ${addrArg(flag, v, neg)}`);
          i += neg ? 4 : 3;
        } else if (t === "th") {
          const pflag = next === "sport" ? "--sport" : "--dport";
          const neg = toks[i + 2] === "!=";
          const v = toks[i + (neg ? 3 : 2)]!;
          const values = (v.startsWith("@") ? els(v.slice(1)) : [v]).map((x) =>
            x.replace("-", ":"),
          );
          const arg =
            values.length === 1
              ? `-m ${proto} ${neg ? "! " : ""}${pflag} ${values[0]}`
              : `-m multiport ${neg ? "! " : ""}${pflag}s ${values.join(",")}`;
          alts = alts.map((a) => `${a} ${arg}`);
          i += neg ? 4 : 3;
        } else if (t === "icmp" && (next === "type" || next === "code")) {
          // type (and code) → --icmp-type t[/c]
          alts = alts.map((a) =>
            next === "type" ? `${a} --icmp-type ${toks[i + 2]}` : `${a}/${toks[i + 2]}`,
          );
          i += 3;
        } else throw new Error(`untranslatable match at "${toks.slice(i).join(" ")}" in: ${rule}`);
      }
      const cm = comment ? ` -m comment --comment "${comment.slice(0, 250)}"` : "";
      for (const p of pre) emit(p);
      if (markMask)
        alts = alts.map(
          (a) => `${a} -m mark --mark 0x${markVal.toString(16)}/0x${markMask.toString(16)}`,
        );
      for (const a of alts) {
        emit(`${a.trim()}${cm} ${verdict[0]}`.replace(/^ /, ""));
      }
      if (alts.length && verdict[1]) {
        const mark = verdict[1].split(" ")[1];
        emit(`-m mark --mark ${mark}/${mark} -j RETURN`);
      }
    }
  }
  const decl = out.indexOf("-A FORWARD -j tortie-forward");
  out.splice(decl, 0, ...[...setChains.keys()].map((c) => `:${c} - [0:0]`));
  for (const [c, lines] of setChains) {
    for (const l of lines) out.push(`-A ${c} ${l}`);
    rules += lines.length;
  }
  out.push("COMMIT", "");
  return { text: out.join("\n"), rules };
}
