// Whether an originated prefix can be announced at all: its family must be
// one some configured peer or dynamic range negotiates. Pure.
import { ConfigError, type SpeakerConfig } from "../speaker/config.js";

/**
 * An originated prefix whose family no configured peer or dynamic range
 * negotiates would never be announced: in the daemon's file that is an
 * error, not a silent no-op. (The API allows it: peers may be added later.)
 */
export function checkFamilies(config: SpeakerConfig): void {
  const carried = new Set<string>();
  for (const p of config.peers)
    for (const f of p.families ?? [p.address.includes(":") ? "ipv6-unicast" : "ipv4-unicast"])
      carried.add(f);
  for (const d of config.dynamicNeighbors)
    for (const f of d.families ?? [d.prefix.includes(":") ? "ipv6-unicast" : "ipv4-unicast"])
      carried.add(f);
  const issues = config.originate.flatMap((r, i) => {
    const fam = r.prefix.includes(":") ? "ipv6-unicast" : "ipv4-unicast";
    return carried.has(fam)
      ? []
      : [
          {
            path: `originate.${i}.prefix`,
            message: `${r.prefix} is ${fam}, which no peer negotiates (add "${fam}" to a peer's families)`,
          },
        ];
  });
  if (issues.length) throw new ConfigError(issues);
}
