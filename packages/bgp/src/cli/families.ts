// Whether an originated prefix can be announced at all: its family must be
// one some configured peer or dynamic range negotiates. Pure.
import { ConfigError, type SpeakerConfig } from "../speaker/config.js";
import type { OriginateBatch } from "../speaker/originate-batch.js";
import { formatPrefix } from "../wire/prefix.js";

function carriedFamilies(config: SpeakerConfig): Set<string> {
  const carried = new Set<string>();
  for (const p of config.peers)
    for (const f of p.families ?? [p.address.includes(":") ? "ipv6-unicast" : "ipv4-unicast"])
      carried.add(f);
  for (const d of config.dynamicNeighbors)
    for (const f of d.families ?? [d.prefix.includes(":") ? "ipv6-unicast" : "ipv4-unicast"])
      carried.add(f);
  return carried;
}

/**
 * {@link checkFamilies} for a batch of routes: undefined when every route's
 * family is carried, else what is wrong (one prefix named).
 */
export function batchFamilies(config: SpeakerConfig, batch: OriginateBatch): string | undefined {
  const carried = carriedFamilies(config);
  for (const g of batch.groups) {
    if (g.v4.length && !carried.has("ipv4-unicast"))
      return `${g.route.prefix.includes(":") ? "IPv4 prefixes are" : `${g.route.prefix} is`} ipv4-unicast, which no peer negotiates (add "ipv4-unicast" to a peer's families)`;
    if (g.other.length && !carried.has("ipv6-unicast"))
      return `${formatPrefix(g.other[0]!)} is ipv6-unicast, which no peer negotiates (add "ipv6-unicast" to a peer's families)`;
  }
  return undefined;
}

/**
 * An originated prefix whose family no configured peer or dynamic range
 * negotiates would never be announced: in the daemon's file that is an
 * error, not a silent no-op. (The API allows it: peers may be added later.)
 */
export function checkFamilies(config: SpeakerConfig): void {
  const carried = carriedFamilies(config);
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
