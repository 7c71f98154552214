// Neighbour operations — each the equivalent of an `ip neighbour` command:
// static (permanent) ARP and NDP entries.
import type { Connection } from "../socket/connection.js";
import { AddressFamily, NlmFlags, NudState, RouteType, Rtm } from "../wire/constants.js";
import { parseIP } from "../wire/ip.js";
import type { Neighbour } from "../wire/neighbour.js";
import type { IndexResolver, LinkRef } from "./common.js";

/** A neighbour entry to add, replace or delete. */
export interface NeighbourSpec {
  /** The interface. */
  readonly dev: LinkRef;
  /** The IP address (IPv4: ARP, IPv6: NDP). */
  readonly address: string;
  /** The link-layer address (required for add/replace). */
  readonly lladdr?: string;
  /** NUD state (default permanent). */
  readonly state?: number;
}

/** Neighbours of one namespace. Get it from `Netlink.neighbours`. */
export class Neighbours {
  constructor(
    private readonly conn: Connection,
    private readonly resolve: IndexResolver,
  ) {}

  /** Neighbour entries (`ip neighbour show [dev X]`). */
  async list(f: { dev?: LinkRef; family?: 4 | 6 } = {}): Promise<Neighbour[]> {
    const index = f.dev !== undefined ? await this.resolve(f.dev) : 0;
    const family =
      f.family === 4
        ? AddressFamily.inet
        : f.family === 6
          ? AddressFamily.inet6
          : AddressFamily.unspec;
    const { messages } = await this.conn.dump("ip neighbour show", Rtm.getNeigh, {
      kind: "neighbour",
      neighbour: { family, index: 0, state: 0, flags: 0, type: 0 },
    });
    return messages.flatMap((m) =>
      m.kind === "neighbour" && (!index || m.neighbour.index === index) ? [m.neighbour] : [],
    );
  }

  private async body(s: NeighbourSpec): Promise<Neighbour> {
    const a = parseIP(s.address);
    return {
      family: a.length === 4 ? AddressFamily.inet : AddressFamily.inet6,
      index: await this.resolve(s.dev),
      state: s.state ?? NudState.permanent,
      flags: 0,
      type: RouteType.unicast,
      dst: s.address,
      ...(s.lladdr !== undefined ? { lladdr: s.lladdr } : {}),
    };
  }

  /** `ip neighbour add ADDR lladdr MAC dev X nud permanent`; EEXIST if present. */
  async add(s: NeighbourSpec): Promise<void> {
    await this.conn.request(
      `ip neighbour add ${s.address} lladdr ${s.lladdr} dev ${s.dev} nud permanent`,
      Rtm.newNeigh,
      NlmFlags.create | NlmFlags.excl,
      { kind: "neighbour", neighbour: await this.body(s) },
    );
  }

  /** `ip neighbour replace ADDR lladdr MAC dev X nud permanent`. */
  async replace(s: NeighbourSpec): Promise<void> {
    await this.conn.request(
      `ip neighbour replace ${s.address} lladdr ${s.lladdr} dev ${s.dev} nud permanent`,
      Rtm.newNeigh,
      NlmFlags.create | NlmFlags.replace,
      { kind: "neighbour", neighbour: await this.body(s) },
    );
  }

  /** `ip neighbour del ADDR dev X`. */
  async delete(s: NeighbourSpec): Promise<void> {
    const { lladdr: _, ...rest } = s;
    await this.conn.request(`ip neighbour del ${s.address} dev ${s.dev}`, Rtm.delNeigh, 0, {
      kind: "neighbour",
      neighbour: await this.body(rest),
    });
  }
}
