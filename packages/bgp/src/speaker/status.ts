// Status as people read it: a table like `birdc show protocols` /
// `calicoctl node status`, and details like `show protocols all`.
import type { SpeakerStatus } from "./speaker.js";

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

/** One line per peer: address, AS, type, state, since, info (Established, or the last error). */
export function formatStatus(s: SpeakerStatus, now = Date.now()): string {
  const rows: string[][] = [
    ["PEER ADDRESS", "PEER AS", "PEER TYPE", "STATE", "SINCE", "PREFIXES", "INFO"],
  ];
  for (const p of s.peers) {
    const internal = p.session?.internal ?? p.asn === s.asn;
    const info =
      p.state === "Established"
        ? "Established"
        : p.lastError
          ? `${p.lastError.received ? `Received: ${p.lastError.received.text}` : p.lastError.sent ? `Sent: ${p.lastError.sent.text}` : p.lastError.event}${(p.lastError.received?.message ?? p.lastError.sent?.message) ? ` "${p.lastError.received?.message ?? p.lastError.sent?.message}"` : ""}`
          : "";
    rows.push([
      p.address,
      String(p.session?.peerAs ?? p.asn),
      `${internal ? "iBGP" : "eBGP"}${p.dynamic ? " (dynamic)" : ""}`,
      p.state,
      p.uptimeMs !== undefined ? duration(p.uptimeMs) : duration(Math.max(0, now - p.since)),
      `${p.prefixes.received}/${p.prefixes.advertised}`,
      info,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  const sep = `+${widths.map((w) => "-".repeat(w + 2)).join("+")}+`;
  const head = `BGP speaker AS ${s.asn}, router id ${s.routerId}${s.listen ? `, listening on ${s.listen.address} port ${s.listen.port}` : ""}`;
  return [head, sep, line(rows[0]!), sep, ...rows.slice(1).map(line), sep].join("\n");
}
